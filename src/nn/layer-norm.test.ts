import { describe, expect, it } from 'vitest';
import { Graph } from '../graph/graph.js';
import { initParams } from '../runtime/init-params.js';
import { LayerNorm } from './layer-norm.js';
import { expectClose, layerNormRef, randn, runY } from './test-helpers.js';

describe('LayerNorm', () => {
  it('creates weight = 1 and bias = 0 [dim] under its scope path', () => {
    const g = new Graph();
    g.withScope('enc', () => new LayerNorm(g, 'ln1', { dim: 6 }));
    expect([...g.params.keys()]).toEqual(['enc.ln1.weight', 'enc.ln1.bias']);
    const p = initParams(g, 0);
    expect([...p.get('enc.ln1.weight')!.data]).toEqual([1, 1, 1, 1, 1, 1]);
    expect([...p.get('enc.ln1.bias')!.data]).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('equals the TypeScript formula with trained (non-trivial) weight and bias', async () => {
    const g = new Graph();
    const ln = new LayerNorm(g, 'ln', { dim: 8, epsilon: 1e-3 });
    const x = g.input('x', 'float32', ['B', 3, 8]);
    const y = ln.apply(x); // [B, 3, 8]
    expect(y.shape).toEqual(['B', 3, 8]);
    g.output('y', y);
    const params = new Map([
      ['ln.weight', randn([8], 10, 0.5, 1)],
      ['ln.bias', randn([8], 11, 0.3)],
    ]);
    const xv = randn([2, 3, 8], 12, 3, 2); // mean 2, std 3: the statistics matter
    const out = await runY(g, params, { x: xv });
    expect(out.shape).toEqual([2, 3, 8]);
    expectClose(out, layerNormRef(xv.data, 8, { weight: params.get('ln.weight')!.data as Float32Array, bias: params.get('ln.bias')!.data as Float32Array, eps: 1e-3 }), 1e-5);
  });

  it('without bias, at init, gives rows of mean 0 and variance var/(var + ε)', async () => {
    const g = new Graph();
    const ln = new LayerNorm(g, 'ln', { dim: 16, bias: false });
    expect([...g.params.keys()]).toEqual(['ln.weight']);
    g.output('y', ln.apply(g.input('x', 'float32', [4, 16]))); // [4, 16]
    const params = initParams(g, 0);
    const xv = randn([4, 16], 13);
    const out = await runY(g, params, { x: xv });
    expectClose(out, layerNormRef(xv.data, 16, { weight: params.get('ln.weight')!.data as Float32Array }), 1e-5);
    const row = Array.from(out.data as Float32Array).slice(0, 16);
    expect(Math.abs(row.reduce((a, b) => a + b, 0) / 16)).toBeLessThan(1e-6);
  });

  it('rejects a bad config and a mismatched input', () => {
    const g = new Graph();
    expect(() => new LayerNorm(g, 'a', { dim: 4, eps: 1e-6 } as never)).toThrow(/LayerNorm config at a: unknown key 'eps'/);
    expect(() => new LayerNorm(g, 'b', { dim: 4, epsilon: -1 })).toThrow(/'epsilon' must be ≥ 0/);
    expect(() => new LayerNorm(g, 'c', { dim: '4' } as never)).toThrow(/'dim' must be a finite number/);
    const ln = new LayerNorm(g, 'd', { dim: 4 });
    expect(() => ln.apply(g.input('x', 'float32', [2, 5]))).toThrow(/LayerNorm d: input last dim must be 4/);
  });
});
