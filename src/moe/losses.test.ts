import { describe, expect, it } from 'vitest';
import type { HostTensor } from '../graph/host-tensor.js';
import { logSumExpRow, softmaxRow } from './reference.js';
import { runMoe, setParam, tensor } from './testing.js';

// A hand-written case: 5 tokens, D = 2, E = 3, router logits = x·W + b.
const X = [
  [1.0, 0.0],
  [0.0, 1.0],
  [1.0, 1.0],
  [-1.0, 0.5],
  [-1.0, -2.0],
];
const W = [
  [2.0, -1.0, 0.0],
  [0.0, 1.5, -0.5],
]; // [D, E]
const B = [0.1, 0.0, -0.3];
const E = 3;

const setRouter = (w: number[][], b: number[]) => (p: Map<string, HostTensor>) => {
  setParam(p, 'moe.router.weight', w.flat());
  setParam(p, 'moe.router.bias', b);
};

/** f_i, P_i and mean(lse²) computed by hand from the definitions. */
function handComputed(xs: number[][], k: number, valid: boolean[] = xs.map(() => true)) {
  const logits = xs.map((x) => [0, 1, 2].map((e) => x[0]! * W[0]![e]! + x[1]! * W[1]![e]! + B[e]!));
  const probs = logits.map(softmaxRow);
  const real = xs.map((_, n) => n).filter((n) => valid[n]);
  const T = real.length;
  const f = [0, 0, 0];
  for (const n of real) {
    const order = [0, 1, 2].sort((a, b) => probs[n]![b]! - probs[n]![a]!);
    for (const e of order.slice(0, k)) f[e]! += 1 / (k * T); // fraction of the k·T assignments (Switch eq. 5)
  }
  const P = [0, 1, 2].map((e) => real.reduce((a, n) => a + probs[n]![e]!, 0) / T); // eq. 6
  const lse2 = real.reduce((a, n) => a + logSumExpRow(logits[n]!) ** 2, 0) / T;
  return { f, P, lse2 };
}

describe('MoE auxiliary losses', () => {
  const cfg = { dim: 2, hidden: 3, numExperts: E, routerBias: true, capacityFactorEval: 0 };

  it('k = 1: load-balance α·E·Σ f_i·P_i (Fedus et al. 2021 eq. 4) and z-loss β·mean(lse²) (Zoph et al. 2022 eq. 5) match hand-computed values', async () => {
    const moe = await runMoe({ ...cfg, topK: 1 }, tensor(X, [5, 2]), { override: setRouter(W, B) });
    const { f, P, lse2 } = handComputed(X, 1);
    // The argmax experts here are 0, 1, 0, 1, 2 → f = (2/5, 2/5, 1/5).
    expect(f.map((v) => +v.toFixed(6))).toEqual([0.4, 0.4, 0.2]);
    const lb = 0.01 * E * (f[0]! * P[0]! + f[1]! * P[1]! + f[2]! * P[2]!);
    expect(moe.loadBalanceLoss).toBeCloseTo(lb, 7);
    expect(moe.zLoss).toBeCloseTo(0.001 * lse2, 8);
    moe.routerProbsMean.forEach((p, e) => expect(p).toBeCloseTo(P[e]!, 6));
  });

  it('k = 2: f counts all k·T assignments; padding tokens are excluded from f, P and the z-loss', async () => {
    const valid = [true, true, false, true, true];
    const moe = await runMoe({ ...cfg, topK: 2, loadBalanceCoef: 0.5, zLossCoef: 0.25 }, tensor(X, [5, 2]), { override: setRouter(W, B), tokenMask: valid });
    const { f, P, lse2 } = handComputed(X, 2, valid);
    const lb = 0.5 * E * f.reduce((a, fi, e) => a + fi * P[e]!, 0);
    expect(moe.loadBalanceLoss).toBeCloseTo(lb, 6);
    expect(moe.zLoss).toBeCloseTo(0.25 * lse2, 6);
  });

  it('a perfectly balanced router scores exactly α', async () => {
    // One token to each expert (logits [1,0,0], [0,1,0], [-1,-1,0]): f = (1/3, 1/3, 1/3).
    const x = [
      [1, 0],
      [0, 1],
      [-1, -1],
    ];
    const w = [
      [1, 0, 0],
      [0, 1, 0],
    ];
    const moe = await runMoe({ ...cfg, topK: 1 }, tensor(x, [3, 2]), { override: setRouter(w, [0, 0, 0]) });
    // ⇒ α·E·Σ f_i·P_i = α·Σ P_i = α whatever P is.
    expect(moe.loadBalanceLoss).toBeCloseTo(0.01, 7);
  });

  it('the z-loss is finite for logits far beyond float32 exp range (stable logsumexp)', async () => {
    const moe = await runMoe({ ...cfg, topK: 1 }, tensor([[0, 0]], [1, 2]), { override: setRouter(W, [100, 99, 0]) });
    const lse = 100 + Math.log(1 + Math.exp(-1) + Math.exp(-100));
    expect(moe.zLoss).toBeCloseTo(0.001 * lse * lse, 3);
  });
});
