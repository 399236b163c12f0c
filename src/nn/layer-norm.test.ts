import { describe, expect, it } from 'vitest';
import { Graph } from '../graph/graph.js';
import { initParams } from '../runtime/init-params.js';
import { LayerNorm } from './layer-norm.js';
import { expectClose, randn, runY } from './test-helpers.js';

/** y = (x − mean) / sqrt(var + ε) · w + b over the last dim (biased variance). */
function layerNormRef(x: Float32Array, w: Float32Array, b: Float32Array | null, d: number, eps: number): Float64Array {
  const y = new Float64Array(x.length);
  for (let r = 0; r < x.length / d; r++) {
    let mean = 0;
    for (let i = 0; i < d; i++) mean += x[r * d + i]!;
    mean /= d;
    let v = 0;
    for (let i = 0; i < d; i++) v += (x[r * d + i]! - mean) ** 2;
    v /= d;
    const inv = 1 / Math.sqrt(v + eps);
    for (let i = 0; i < d; i++) y[r * d + i] = (x[r * d + i]! - mean) * inv * w[i]! + (b ? b[i]! : 0);
  }
  return y;
}

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
    expectClose(out, layerNormRef(xv.data, params.get('ln.weight')!.data, params.get('ln.bias')!.data, 8, 1e-3), 1e-5);
  });

  it('without bias, at init, gives rows of mean 0 and variance var/(var + ε)', async () => {
    const g = new Graph();
    const ln = new LayerNorm(g, 'ln', { dim: 16, bias: false });
    expect([...g.params.keys()]).toEqual(['ln.weight']);
    g.output('y', ln.apply(g.input('x', 'float32', [4, 16]))); // [4, 16]
    const params = initParams(g, 0);
    const xv = randn([4, 16], 13);
    const out = await runY(g, params, { x: xv });
    expectClose(out, layerNormRef(xv.data, params.get('ln.weight')!.data as Float32Array, null, 16, 1e-5), 1e-5);
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
