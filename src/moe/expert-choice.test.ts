import { describe, expect, it } from 'vitest';
import { hostTensor } from '../graph/host-tensor.js';
import { moeReference, readMoeWeights } from './reference.js';
import { lcg, rows, runMoe } from './testing.js';

const D = 4;
const H = 6;
const E = 3;

describe('expert-choice routing (Zhou et al. 2022)', () => {
  const cfg = { dim: D, hidden: H, numExperts: E, topK: 1, routing: 'expert-choice' as const, capacityFactorEval: 1.0, routerInitStd: 0.7 };

  it('each expert processes exactly C tokens, and the output equals the TypeScript reference', async () => {
    const N = 8;
    const r = lcg(123);
    const x = hostTensor('float32', [2, 4, D], Float32Array.from({ length: N * D }, () => 1.5 * r()));
    const moe = await runMoe(cfg, x, {
      seed: 12,
      fetch: (_layer, g) => Object.fromEntries(
        g.nodes.filter((n) => n.opType === 'MatMul' && /^moe\.experts\.\d+$/.test(n.scope)).map((n, i) => [`lhs${i}`, n.inputs[0]!]),
      ),
    });
    const C = Math.ceil((1.0 * N * 1) / E); // 3
    expect(moe.capacity).toBe(C);
    expect(moe.tokensPerExpert).toEqual([C, C, C]);
    for (let i = 0; i < 2 * E; i++) expect(moe.raw[`lhs${i}`]!.shape.at(-2)).toBe(C);

    const ref = moeReference(rows(x.data, D), readMoeWeights(moe.params, 'moe', E), { hidden: H, k: 1, normalizeTopK: false, capacity: C, routing: 'expert-choice' });
    const y = Array.from(moe.y);
    ref.y.flat().forEach((v, i) => expect(Math.abs(y[i]! - v)).toBeLessThan(1e-5));
    const untaken = ref.kept.filter((ks) => ks.every((k) => !k)).length;
    expect(moe.droppedTokens).toBe(untaken);
    expect(moe.loadBalanceLoss).toBe(0); // balanced by construction
    expect(moe.zLoss).toBeGreaterThan(0);
  });

  it('never picks padding tokens; capacity comes from the real tokens', async () => {
    const N = 10;
    const mask = [true, true, false, true, true, true, false, false, true, true];
    const r = lcg(9);
    const x = hostTensor('float32', [N, D], Float32Array.from({ length: N * D }, () => 1.5 * r()));
    const moe = await runMoe({ ...cfg, topK: 2 }, x, { seed: 3, tokenMask: mask, modalityIds: [0, 1, 0, 1, 0, 1, 0, 1, 0, 1], numModalities: 2 });
    const real = 7;
    const C = Math.ceil((1.0 * real * 2) / E); // 5
    expect(moe.capacity).toBe(C);
    expect(moe.tokensPerExpert).toEqual([C, C, C]);
    expect(moe.tokensPerModalityExpert!.reduce((a, b) => a + b, 0)).toBe(E * C);
    const ref = moeReference(rows(x.data, D), readMoeWeights(moe.params, 'moe', E), { hidden: H, k: 2, normalizeTopK: false, capacity: C, routing: 'expert-choice', valid: mask });
    ref.y.flat().forEach((v, i) => expect(Math.abs(moe.y[i]! - v)).toBeLessThan(1e-5));
    mask.forEach((m, n) => !m && expect(Array.from(moe.y.slice(n * D, (n + 1) * D))).toEqual([0, 0, 0, 0]));
  });
});
