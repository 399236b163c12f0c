import { describe, expect, it } from 'vitest';
import { gradcheck, init, type InputSpec } from '../runtime/gradcheck.js';
import * as op from '../graph/ops/index.js';
import type { Value } from '../graph/value.js';
import type { MoeConfig } from './config.js';
import { EXPERT_PARAM_NAMES } from './experts.js';
import { MoeLayer } from './moe-layer.js';
import { logSumExpRow, moeReference, type MoeWeights } from './reference.js';
import { lcg } from './testing.js';

// N = 6 tokens, D = 3, E = 3, H = 4, k = 2, capacity factor 1 → C = ceil(6·2/3) = 4: some assignments are dropped.
const [N, D, E, H, K] = [6, 3, 3, 4, 2];
const C = 4;
const cfg: MoeConfig = {
  dim: D,
  hidden: H,
  numExperts: E,
  topK: K,
  capacityFactorEval: 1,
  routerBias: true,
  loadBalanceCoef: 1, // full-size aux losses, so their gradients are checked at the same tolerance
  zLossCoef: 1,
};

// Values from a fixed seed chosen so that every token's sorted router logits are ≥ 0.5 apart (TopK and the
// capacity cut are piecewise constant: the check must not straddle a routing change).
const r = lcg(41);
const X = Array.from({ length: N * D }, () => 1.5 * r());
const RW = Array.from({ length: D * E }, () => 1.5 * r());
const RB = Array.from({ length: E }, () => 0.5 * r());
const EXPERTS = Array.from({ length: E }, () => [
  Array.from({ length: D * H }, () => r()),
  Array.from({ length: H }, () => 0.5 * r()),
  Array.from({ length: H * D }, () => r()),
  Array.from({ length: D }, () => 0.5 * r()),
]);

const PATHS = ['moe.router.weight', 'moe.router.bias', ...[...Array(E).keys()].flatMap((e) => EXPERT_PARAM_NAMES.map((p) => `moe.experts.${e}.${p}`))];
const SHAPES = [[D, E], [E], ...[...Array(E).keys()].flatMap(() => [[D, H], [H], [H, D], [D]])];
const VALUES = [RW, RB, ...EXPERTS.flat()];

/** y, the load-balance loss and the z-loss as one vector [N·D + 2]. */
function build(xs: Value[]): Value {
  const byPath = new Map(PATHS.map((p, i) => [p, xs[i + 1]!]));
  const moe = new MoeLayer(xs[0]!.graph, 'moe', cfg, { param: (path) => byPath.get(path)! });
  const out = moe.apply(xs[0]!, { training: false });
  return op.concat([op.reshape(out.y, [-1]), op.reshape(out.loadBalanceLoss, [1]), op.reshape(out.zLoss, [1])], 0); // [N·D + 2]
}

/** The same function in float64 TypeScript. */
function reference(xs: Float64Array[]): number[] {
  const x = Array.from({ length: N }, (_, n) => Array.from(xs[0]!.slice(n * D, (n + 1) * D)));
  const w: MoeWeights = {
    routerWeight: xs[1]!,
    routerBias: xs[2]!,
    experts: [...Array(E).keys()].map((e) => {
      const [w1, b1, w2, b2] = xs.slice(3 + 4 * e, 7 + 4 * e);
      return { w1: w1!, b1: b1!, w2: w2!, b2: b2! };
    }),
  };
  const ref = moeReference(x, w, { hidden: H, k: K, normalizeTopK: true, capacity: C });
  const f = Array<number>(E).fill(0);
  ref.choices.forEach((cs) => cs.forEach((e) => (f[e]! += 1 / (K * N))));
  const P = [...Array(E).keys()].map((e) => ref.probs.reduce((a, p) => a + p[e]!, 0) / N);
  const lb = E * f.reduce((a, fi, e) => a + fi * P[e]!, 0);
  const z = ref.logits.reduce((a, l) => a + logSumExpRow(l) ** 2, 0) / N;
  return [...ref.y.flat(), lb, z];
}

describe('MoE gradients', () => {
  it('the case keeps away from routing ties and exercises the capacity cut', () => {
    const xs = [Float64Array.from(X), ...VALUES.map((v) => Float64Array.from(v))];
    const x = Array.from({ length: N }, (_, n) => X.slice(n * D, (n + 1) * D));
    const ref = moeReference(x, { routerWeight: RW, routerBias: RB, experts: EXPERTS.map(([w1, b1, w2, b2]) => ({ w1: w1!, b1: b1!, w2: w2!, b2: b2! })) }, { hidden: H, k: K, normalizeTopK: true, capacity: C });
    for (const l of ref.logits) {
      const s = [...l].sort((a, b) => b - a);
      expect(Math.min(s[0]! - s[1]!, s[1]! - s[2]!)).toBeGreaterThan(0.5);
    }
    expect(ref.tokensPerExpert.reduce((a, b) => a + b, 0)).toBeLessThan(N * K);
    expect(ref.tokensPerExpert.every((t) => t > 0)).toBe(true);
    expect(reference(xs)).toHaveLength(N * D + 2);
  });

  it('d(y, load-balance loss, z-loss)/d(x, router, every expert weight) match central finite differences', async () => {
    const inputs: InputSpec[] = [{ shape: [N, D], init: init.values(X) }, ...SHAPES.map((shape, i) => ({ shape, init: init.values(VALUES[i]!) }))];
    const res = await gradcheck({ name: 'MoeLayer token choice k=2 with drops', inputs, build: (_g, xs) => build(xs), reference });
    expect(res.checked).toBe(N * D + VALUES.reduce((a, v) => a + v.length, 0));
    expect(res.worstRatio).toBeLessThanOrEqual(1);
    // Every input influences the output (no vacuous check), including the router through the gates and losses.
    for (const rep of res.inputs) expect(rep.maxAbsFd).toBeGreaterThan(1e-3);
  });
});
