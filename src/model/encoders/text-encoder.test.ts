import { describe, expect, it } from 'vitest';
import { Graph } from '../../graph/graph.js';
import type { HostTensor } from '../../graph/host-tensor.js';
import { initParams } from '../../runtime/init-params.js';
import { TextEncoder } from './text-encoder.js';
import { bools, expectGradientOnEveryParam, f32, gradientsOfEveryParam, int64s, maxAbsDiff, runGraph } from './test-helpers.js';

const CFG = { dim: 8, vocabSize: 11, maxTextLen: 6, layers: 0, heads: 2 };

/** B = 2, T = 5; example 0 has 3 real tokens, example 1 has 5. */
const MASK = bools([2, 5], [1, 1, 1, 0, 0, 1, 1, 1, 1, 1]);
const IDS_A = int64s([2, 5], [3, 7, 1, 0, 0, 9, 2, 2, 5, 10]);
const IDS_B = int64s([2, 5], [3, 7, 1, 8, 4, 9, 2, 2, 5, 10]); // differs only at padded positions

function build(layers: number, pooling: 'mean' | 'cls' = 'mean') {
  const g = new Graph();
  const enc = new TextEncoder(g, 'text', { ...CFG, layers, pooling });
  const out = enc.apply(g.input('ids', 'int64', ['batch', 'length']), g.input('mask', 'bool', ['batch', 'length']));
  return { g, enc, out, params: initParams(g, 7) };
}

/** Rows [b, t, :] of a [B, T, D] tensor where the mask is true. */
const realRows = (t: HostTensor, d: number) => f32(t).filter((_, i) => MASK.data[Math.floor(i / d)] === 1);

describe('TextEncoder', () => {
  it('keeps named batch and length dims: tokens [batch, length, D], pooled [batch, D], mask passed through', async () => {
    const { g, out, params } = build(0);
    expect(out.tokens.shape).toEqual(['batch', 'length', 8]);
    expect(out.pooled.shape).toEqual(['batch', 8]);
    expect(out.mask?.shape).toEqual(['batch', 'length']);
    expect([...g.params.keys()]).toEqual(['text.tokens.weight', 'text.positions.weight']);
    const res = await runGraph(g, { tokens: out.tokens, pooled: out.pooled }, { ids: IDS_A, mask: MASK }, params);
    expect(res.tokens!.shape).toEqual([2, 5, 8]);
    expect(res.pooled!.shape).toEqual([2, 8]);
    // front-end: tokens[b, t] = table[ids[b, t]] + positions[t]
    const table = params.get('text.tokens.weight')!.data as Float32Array;
    const pos = params.get('text.positions.weight')!.data as Float32Array;
    const want = Array.from({ length: 80 }, (_, i) => {
      const [bt, k] = [Math.floor(i / 8), i % 8];
      return Math.fround(table[Number(IDS_A.data[bt]) * 8 + k]! + pos[(bt % 5) * 8 + k]!);
    });
    expect(f32(res.tokens!)).toEqual(want);
    // pooled = mean over the 3 (resp. 5) real tokens
    const tok = f32(res.tokens!);
    const mean = (b: number, n: number, k: number) => Array.from({ length: n }, (_, t) => tok[(b * 5 + t) * 8 + k]!).reduce((a, c) => a + c, 0) / n;
    expect(maxAbsDiff(f32(res.pooled!), [...Array(8).keys()].map((k) => mean(0, 3, k)).concat([...Array(8).keys()].map((k) => mean(1, 5, k))))).toBeLessThan(1e-6);
  });

  it.each([0, 2])('with %i layers, ids at padded positions change neither the pooled vector nor the real tokens', async (layers) => {
    const { g, out, params } = build(layers);
    const fetch = { tokens: out.tokens, pooled: out.pooled };
    const a = await runGraph(g, fetch, { ids: IDS_A, mask: MASK }, params);
    const b = await runGraph(g, fetch, { ids: IDS_B, mask: MASK }, params);
    expect(maxAbsDiff(f32(a.pooled!), f32(b.pooled!))).toBeLessThan(1e-6);
    expect(maxAbsDiff(realRows(a.tokens!, 8), realRows(b.tokens!, 8))).toBeLessThan(1e-6);
    // the padded tokens themselves do change: padding is ignored by the consumers, not erased
    expect(maxAbsDiff(f32(a.tokens!), f32(b.tokens!))).toBeGreaterThan(1e-3);
  });

  it('with 2 layers runs forward in ONNX Runtime and a gradient reaches every parameter', async () => {
    const { g, out } = build(2);
    expect([...g.params.keys()].filter((p) => p.startsWith('text.layers.1.')).length).toBeGreaterThan(0);
    expect(g.params.has('text.norm.weight')).toBe(true);
    const { grads, forward } = await gradientsOfEveryParam(g, out, { ids: IDS_A, mask: MASK });
    expect(forward.tokens!.shape).toEqual([2, 5, 8]);
    expectGradientOnEveryParam(grads);
  });

  it('with CLS pooling, the pooled vector is a learned token’s output: not the mean, and blind to padding', async () => {
    const { g, out, params } = build(2, 'cls');
    expect(g.params.has('text.cls')).toBe(true);
    const fetch = { tokens: out.tokens, pooled: out.pooled };
    const a = await runGraph(g, fetch, { ids: IDS_A, mask: MASK }, params);
    const b = await runGraph(g, fetch, { ids: IDS_B, mask: MASK }, params);
    expect(a.tokens!.shape).toEqual([2, 5, 8]); // the CLS token is not among the tokens
    expect(maxAbsDiff(f32(a.pooled!), f32(b.pooled!))).toBeLessThan(1e-6);
    const tok = f32(a.tokens!);
    const mean0 = [...Array(8).keys()].map((k) => [0, 1, 2].reduce((acc, t) => acc + tok[t * 8 + k]!, 0) / 3);
    expect(maxAbsDiff(f32(a.pooled!).slice(0, 8), mean0)).toBeGreaterThan(1e-3);
  });

  it.each(['cls', 'mean'] as const)('with %s pooling, pooledOnly gives the same pooled vector on padded rows, without the tokens', async (pooling) => {
    const { g, enc, out, params } = build(2, pooling);
    const only = enc.apply(g.input('ids2', 'int64', ['batch', 'length']), g.input('mask2', 'bool', ['batch', 'length']), { pooledOnly: true });
    expect(only.tokens).toBeUndefined();
    expect(only.pooled.rank).toBe(2); // [B, D]
    expect([...g.params.keys()].length).toBe([...params.keys()].length); // the same modules, no new weights
    const res = await runGraph(g, { full: out.pooled, only: only.pooled }, { ids: IDS_A, mask: MASK, ids2: IDS_A, mask2: MASK }, params);
    expect(maxAbsDiff(f32(res.only!), f32(res.full!))).toBeLessThan(1e-5);
  });

  it('rejects bad inputs at trace time, naming the encoder and the shape', () => {
    const g = new Graph();
    const enc = new TextEncoder(g, 'text', CFG);
    const mask = g.input('m', 'bool', ['batch', 7]);
    expect(() => enc.apply(g.input('a', 'int64', ['batch', 7]), mask)).toThrow('TextEncoder text: input ids [batch, 7]: length 7 exceeds maxTextLen 6');
    expect(() => enc.apply(g.input('b', 'float32', ['batch', 4]), mask)).toThrow(
      'TextEncoder text: input ids must be int64 or int32 [batch, length], got float32 [batch, 4]',
    );
    expect(() => enc.apply(g.input('c', 'int64', [2, 4]), g.input('d', 'bool', [2, 5]))).toThrow(
      'TextEncoder text: ids [2, 4] and mask [2, 5] differ in shape',
    );
  });

  it('rejects a bad config, naming the encoder and the key', () => {
    const g = new Graph();
    expect(() => new TextEncoder(g, 'a', { ...CFG, maxLen: 4 } as never)).toThrow(/TextEncoder config at a: unknown key 'maxLen'/);
    expect(() => new TextEncoder(g, 'b', { ...CFG, layers: 1, heads: 3 })).toThrow('TextEncoder config at b: heads 3 must divide dim 8');
    expect(() => new TextEncoder(g, 'c', { ...CFG, vocabSize: 0 })).toThrow(/'vocabSize' must be ≥ 1/);
  });
});
