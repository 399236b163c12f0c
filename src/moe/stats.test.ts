import { describe, expect, it } from 'vitest';
import { hostTensor } from '../graph/host-tensor.js';
import { moeReference, readMoeWeights } from './reference.js';
import { lcg, rows, runMoe } from './testing.js';

const D = 4;
const H = 5;
const E = 3;
const M = 3;

// B = 2, T = 6; padding at the end of each sequence.
const B = 2;
const T = 6;
const N = B * T;
const mask = [true, true, true, true, false, false, true, true, true, true, true, false];
const modality = [0, 0, 1, 1, 2, 2, 2, 1, 0, 2, 2, 0];
const r = lcg(77);
const xData = Float32Array.from({ length: N * D }, () => 1.5 * r());

describe('routing statistics and padding', () => {
  const cfg = { dim: D, hidden: H, numExperts: E, topK: 2, capacityFactorEval: 1.0, routerInitStd: 0.8 };

  it('tokensPerModalityExpert counts exactly the kept assignments per (modality, expert); padding is not routed or counted', async () => {
    const x = hostTensor('float32', [B, T, D], xData);
    const moe = await runMoe(cfg, x, { seed: 6, tokenMask: mask, modalityIds: modality, numModalities: M });
    const real = mask.filter(Boolean).length; // 9
    const C = Math.ceil((1.0 * real * 2) / E); // capacity from the real tokens only: 6
    expect(moe.capacity).toBe(C);

    // Reference: padding never routed, positions assigned over real tokens only.
    const ref = moeReference(rows(xData, D), readMoeWeights(moe.params, 'moe', E), { hidden: H, k: 2, normalizeTopK: true, capacity: C, valid: mask });
    const want = Array.from({ length: M * E }, () => 0);
    ref.kept.forEach((ks, n) => ks.forEach((k, e) => k && (want[modality[n]! * E + e]! += 1)));
    expect(moe.tokensPerModalityExpert).toEqual(want);
    expect(moe.tokensPerExpert).toEqual(ref.tokensPerExpert);

    const kept = moe.tokensPerExpert.reduce((a, b) => a + b, 0);
    expect(moe.tokensPerModalityExpert!.reduce((a, b) => a + b, 0)).toBe(kept);
    for (let e = 0; e < E; e++) expect([0, 1, 2].reduce((a, m) => a + moe.tokensPerModalityExpert![m * E + e]!, 0)).toBe(moe.tokensPerExpert[e]);
    expect(moe.droppedTokens).toBe(2 * real - kept);
    expect(moe.droppedTokens).toBeGreaterThan(0); // the case exercises the capacity cut

    // Padding: no output, and the mean router probability covers real tokens only.
    mask.forEach((m, n) => !m && expect(Array.from(moe.y.slice(n * D, (n + 1) * D))).toEqual([0, 0, 0, 0]));
    const realIdx = mask.flatMap((m, n) => (m ? [n] : []));
    moe.routerProbsMean.forEach((p, e) => expect(p).toBeCloseTo(realIdx.reduce((a, n) => a + ref.probs[n]![e]!, 0) / real, 6));
    expect(Math.max(...Array.from(moe.y, (v, i) => Math.abs(v - ref.y.flat()[i]!)))).toBeLessThan(1e-5);
  });

  it('real tokens get the same output as a batch without the padding', async () => {
    const x = hostTensor('float32', [B, T, D], xData);
    const padded = await runMoe(cfg, x, { seed: 6, tokenMask: mask });
    const realIdx = mask.flatMap((m, n) => (m ? [n] : []));
    const compact = Float32Array.from(realIdx.flatMap((n) => Array.from(xData.slice(n * D, (n + 1) * D))));
    const plain = await runMoe(cfg, hostTensor('float32', [realIdx.length, D], compact), { seed: 6 });
    expect(padded.capacity).toBe(plain.capacity);
    expect(padded.tokensPerExpert).toEqual(plain.tokensPerExpert);
    expect(padded.droppedTokens).toBe(plain.droppedTokens);
    expect(padded.zLoss).toBeCloseTo(plain.zLoss, 7);
    expect(padded.loadBalanceLoss).toBeCloseTo(plain.loadBalanceLoss, 7);
    realIdx.forEach((n, i) => {
      for (let d = 0; d < D; d++) expect(padded.y[n * D + d]).toBeCloseTo(plain.y[i * D + d]!, 6);
    });
  });
});
