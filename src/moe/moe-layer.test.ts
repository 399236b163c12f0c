import { describe, expect, it } from 'vitest';
import { emitModel } from '../graph/emit-onnx.js';
import { Graph } from '../graph/graph.js';
import { hostTensor, type HostTensor } from '../graph/host-tensor.js';
import { Mlp } from '../nn/mlp.js';
import { initParams } from '../runtime/init-params.js';
import { Session } from '../runtime/session.js';
import { MoeLayer } from './moe-layer.js';
import { ffnRow, moeReference, readMoeWeights } from './reference.js';
import { lcg, rows, runMoe, setParam, tensor } from './testing.js';

const D = 4;
const H = 6;

function randomX(n: number, seed: number, shape = [n, D]): HostTensor<'float32'> {
  const r = lcg(seed);
  return hostTensor('float32', shape, Float32Array.from({ length: n * D }, () => 1.5 * r()));
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (!(Math.abs(actual[i]! - expected[i]!) <= tol)) throw new Error(`element ${i}: ${actual[i]} vs ${expected[i]} (tol ${tol})`);
  }
}

describe('MoeLayer', () => {
  it('names parameters by path: router.weight and experts.<e>.{w1,b1,w2,b2}', () => {
    const g = new Graph();
    g.withScope('fusion', () => new MoeLayer(g, 'moe', { dim: D, hidden: H, numExperts: 2, routerBias: true }));
    expect([...g.params.keys()]).toEqual([
      'fusion.moe.router.weight',
      'fusion.moe.router.bias',
      ...[0, 1].flatMap((e) => ['w1', 'b1', 'w2', 'b2'].map((p) => `fusion.moe.experts.${e}.${p}`)),
    ]);
    expect(g.params.get('fusion.moe.experts.1.w2')!.value.shape).toEqual([H, D]);
  });

  it('rejects bad configs: unknown keys, topK > numExperts, wrong types', () => {
    const g = new Graph();
    expect(() => new MoeLayer(g, 'a', { dim: D, hidden: H, numExperts: 2, topk: 1 } as never)).toThrow(/unknown key 'topk'/);
    expect(() => new MoeLayer(g, 'b', { dim: D, hidden: H, numExperts: 2, topK: 3 })).toThrow(/topK.*≤ 'numExperts'/);
    expect(() => new MoeLayer(g, 'c', { dim: D, hidden: H, numExperts: 2, routing: 'random' as never })).toThrow(/routing/);
    expect(() => new MoeLayer(g, 'd', { dim: D, hidden: H, numExperts: 2, capacityFactorEval: -1 })).toThrow(/capacityFactorEval/);
  });

  it('with 1 expert (k = 1, unlimited capacity) equals a dense Mlp (gelu) with the same weights', async () => {
    const x = randomX(6, 3, [2, 3, D]);
    const moe = await runMoe({ dim: D, hidden: H, numExperts: 1, topK: 1, capacityFactorEval: 0 }, x, { seed: 5 });

    const g = new Graph('dense');
    const mlp = new Mlp(g, 'mlp', { inFeatures: D, hiddenFeatures: H, activation: 'gelu' });
    g.output('y', mlp.apply(g.input('x', 'float32', [2, 3, D])));
    const p = initParams(g, 0);
    for (const [from, to] of [['w1', 'fc1.weight'], ['b1', 'fc1.bias'], ['w2', 'fc2.weight'], ['b2', 'fc2.bias']] as const) {
      p.set(`mlp.${to}`, moe.params.get(`moe.experts.0.${from}`)!);
    }
    const s = await Session.create(emitModel(g, { paramValues: p }), { threads: 1 });
    const dense = (await s.run({ x })).y!;
    await s.release();
    expect(moe.yShape).toEqual([2, 3, D]);
    expectClose(moe.y, dense.data as Float32Array, 1e-5);
    expect(moe.tokensPerExpert).toEqual([6]);
    expect(moe.droppedTokens).toBe(0);
  });

  it('with k = E and unlimited capacity equals the dense softmax-weighted mixture of all experts', async () => {
    const E = 3;
    const x = randomX(5, 11);
    const moe = await runMoe({ dim: D, hidden: H, numExperts: E, topK: E, capacityFactorEval: 0, routerBias: true, routerInitStd: 0.5 }, x, { seed: 2 });
    const w = readMoeWeights(moe.params, 'moe', E);
    const xs = rows(x.data, D);
    // Dense mixture: y = Σ_e softmax(x·Wr + br)_e · FFN_e(x), straight from the weights.
    const expected = xs.flatMap((row) => {
      const logits = [...Array(E).keys()].map((e) => row.reduce((a, v, i) => a + v * w.routerWeight[i * E + e]!, w.routerBias![e]!));
      const m = Math.max(...logits);
      const z = logits.reduce((a, l) => a + Math.exp(l - m), 0);
      const y = row.map(() => 0);
      logits.forEach((l, e) => ffnRow(row, w.experts[e]!, H).forEach((v, d) => (y[d]! += (Math.exp(l - m) / z) * v)));
      return y;
    });
    expectClose(moe.y, expected, 1e-5);
    expect(moe.tokensPerExpert).toEqual([5, 5, 5]);
  });

  it('matches the TypeScript reference for k = 2 with capacity drops, and its stats', async () => {
    const E = 4;
    const x = randomX(12, 21);
    const cfg = { dim: D, hidden: H, numExperts: E, topK: 2, capacityFactorEval: 0.75, routerInitStd: 0.8 };
    const moe = await runMoe(cfg, x, { seed: 9 });
    const C = Math.ceil((0.75 * 12 * 2) / E); // 5
    expect(moe.capacity).toBe(C);
    const ref = moeReference(rows(x.data, D), readMoeWeights(moe.params, 'moe', E), { hidden: H, k: 2, normalizeTopK: true, capacity: C });
    expectClose(moe.y, ref.y.flat(), 1e-5);
    expect(moe.tokensPerExpert).toEqual(ref.tokensPerExpert);
    expect(moe.droppedTokens).toBe(24 - ref.tokensPerExpert.reduce((a, b) => a + b, 0));
    expect(moe.droppedTokens).toBeGreaterThan(0);
    expectClose(moe.routerProbsMean, [...Array(E).keys()].map((e) => ref.probs.reduce((a, p) => a + p[e]!, 0) / 12), 1e-6);
  });
});

describe('capacity overflow', () => {
  it('k = 1: all tokens forced to expert 0 with C < N: the first C tokens are processed, the rest get y = 0 and are counted', async () => {
    const E = 2;
    const N = 8;
    const x = randomX(N, 5);
    const cfg = { dim: D, hidden: H, numExperts: E, topK: 1, capacityFactorEval: 1, routerBias: true };
    const force = (p: Map<string, HostTensor>) => {
      setParam(p, 'moe.router.weight', Array(D * E).fill(0));
      setParam(p, 'moe.router.bias', [5, 0]); // every token → expert 0
    };
    const moe = await runMoe(cfg, x, { seed: 4, override: force });
    const C = Math.ceil((1 * N * 1) / E); // 4
    expect(moe.capacity).toBe(C);
    const w = readMoeWeights(moe.params, 'moe', E);
    const gate = 1; // k = 1, renormalised
    const y = rows(moe.y, D);
    rows(x.data, D).forEach((row, n) => {
      const want = n < C ? ffnRow(row, w.experts[0]!, H).map((v) => gate * v) : Array(D).fill(0);
      expectClose(y[n]!, want, 1e-5);
    });
    expect(moe.tokensPerExpert).toEqual([C, 0]);
    expect(moe.droppedTokens).toBe(N * 1 - C);
  });

  it('k = 2: first choices take priority over second choices; the exact kept set', async () => {
    // Tokens 0–5 prefer expert 0, tokens 6–7 prefer expert 1; E = 2, k = 2, factor 0.5 → C = ceil(0.5·8·2/2) = 4.
    // Expert 0 keeps the 1st choices of tokens 0–3 (drops 4, 5 and the 2nd choices of 6, 7).
    // Expert 1 keeps the 1st choices of 6, 7, then the 2nd choices of tokens 0, 1.
    const E = 2;
    const N = 8;
    const r = lcg(8);
    const xs = [...Array(N).keys()].map((n) => [n < 6 ? 1 : -1, 0.3 * r(), 0.3 * r(), 0.3 * r()]);
    const cfg = { dim: D, hidden: H, numExperts: E, topK: 2, capacityFactorEval: 0.5 };
    const force = (p: Map<string, HostTensor>) => setParam(p, 'moe.router.weight', [1.5, -1.5, 0, 0, 0, 0, 0, 0]);
    const moe = await runMoe(cfg, tensor(xs, [N, D]), { override: force });
    expect(moe.capacity).toBe(4);
    const ref = moeReference(xs, readMoeWeights(moe.params, 'moe', E), { hidden: H, k: 2, normalizeTopK: true, capacity: 4 });
    const keptSet = ref.kept.map((ks, n) => ks.flatMap((k, e) => (k ? [`${n}→${e}`] : [])));
    expect(keptSet.flat()).toEqual(['0→0', '0→1', '1→0', '1→1', '2→0', '3→0', '6→1', '7→1']);
    expectClose(moe.y, ref.y.flat(), 1e-5);
    expect(moe.tokensPerExpert).toEqual([4, 4]);
    expect(moe.droppedTokens).toBe(16 - 8);
    // Tokens 4 and 5 lost both assignments: their output is exactly 0.
    expect(Array.from(moe.y.slice(4 * D, 6 * D))).toEqual(Array(2 * D).fill(0));
  });
});
