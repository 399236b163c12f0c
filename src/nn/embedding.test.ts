import { describe, expect, it } from 'vitest';
import { Graph } from '../graph/graph.js';
import { hostTensor, type HostTensor } from '../graph/host-tensor.js';
import { initParams } from '../runtime/init-params.js';
import { Embedding } from './embedding.js';
import { runY } from './test-helpers.js';

const ids = (shape: number[], values: number[]): HostTensor<'int64'> => hostTensor('int64', shape, BigInt64Array.from(values.map(BigInt)));

describe('Embedding', () => {
  it('creates a [vocab, dim] table with a truncated normal(0.02) init', () => {
    const g = new Graph();
    const e = g.withScope('text', () => new Embedding(g, 'tokens', { vocabSize: 10, dim: 4 }));
    expect([...g.params.keys()]).toEqual(['text.tokens.weight']);
    expect(e.weight.shape).toEqual([10, 4]);
    expect(g.params.get('text.tokens.weight')!.init).toEqual({ kind: 'normal', std: 0.02 });
    const table = initParams(g, 0).get('text.tokens.weight')!.data as Float32Array;
    expect(Math.max(...table.map(Math.abs))).toBeLessThanOrEqual(Math.fround(0.04));
  });

  it('gathers the right rows for ids of shape [B, T] → [B, T, D]', async () => {
    const g = new Graph();
    const e = new Embedding(g, 'emb', { vocabSize: 7, dim: 3, initStd: 1 });
    const y = e.apply(g.input('ids', 'int64', ['B', 'T'])); // [B, T, 3]
    expect(y.shape).toEqual(['B', 'T', 3]);
    g.output('y', y);
    const params = initParams(g, 4);
    const table = params.get('emb.weight')!.data as Float32Array;
    const idv = [6, 0, 3, 3, 1, 5];
    const out = await runY(g, params, { ids: ids([2, 3], idv) });
    expect(out.shape).toEqual([2, 3, 3]);
    const want = idv.flatMap((i) => Array.from(table.subarray(i * 3, i * 3 + 3)));
    expect(Array.from(out.data as Float32Array)).toEqual(want); // a copy: bit-exact
  });

  it('accepts scalar and rank-3 ids', async () => {
    const g = new Graph();
    const e = new Embedding(g, 'emb', { vocabSize: 5, dim: 2 });
    const s = e.apply(g.input('one', 'int64', [])); // [2]
    expect(s.shape).toEqual([2]);
    g.output('y', e.apply(g.input('ids', 'int64', [1, 2, 2]))); // [1, 2, 2, 2]
    const params = initParams(g, 1);
    const table = params.get('emb.weight')!.data as Float32Array;
    const out = await runY(g, params, { ids: ids([1, 2, 2], [4, 0, 2, 4]) });
    expect(out.shape).toEqual([1, 2, 2, 2]);
    expect(Array.from(out.data as Float32Array)).toEqual([4, 0, 2, 4].flatMap((i) => Array.from(table.subarray(i * 2, i * 2 + 2))));
  });

  it('rejects float ids and a bad config', () => {
    const g = new Graph();
    expect(() => new Embedding(g, 'a', { vocabSize: 5, dim: 2, vocab: 5 } as never)).toThrow(/Embedding config at a: unknown key 'vocab'/);
    expect(() => new Embedding(g, 'b', { vocabSize: 5.5, dim: 2 })).toThrow(/'vocabSize' must be an integer/);
    const e = new Embedding(g, 'c', { vocabSize: 5, dim: 2 });
    expect(() => e.apply(g.input('x', 'float32', [3]))).toThrow(/Embedding c: ids must be int64 or int32, got float32/);
  });
});
