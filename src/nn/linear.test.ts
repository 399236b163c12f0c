import { describe, expect, it } from 'vitest';
import { Graph } from '../graph/graph.js';
import { hostTensor } from '../graph/host-tensor.js';
import { initParams } from '../runtime/init-params.js';
import { Linear } from './linear.js';
import { expectClose, linearRef, randn, runY } from './test-helpers.js';

describe('Linear', () => {
  it('creates weight [in, out] and bias [out] under its scope path', () => {
    const g = new Graph();
    const lin = g.withScope('enc', () => new Linear(g, 'proj', { inFeatures: 4, outFeatures: 5 }));
    expect([...g.params.keys()]).toEqual(['enc.proj.weight', 'enc.proj.bias']);
    expect(lin.path).toBe('enc.proj');
    expect(lin.weight.shape).toEqual([4, 5]);
    expect(lin.bias!.shape).toEqual([5]);
    expect(g.params.get('enc.proj.weight')!.init).toEqual({ kind: 'uniform', bound: 0.5 });
    expect(g.params.get('enc.proj.bias')!.init).toEqual({ kind: 'uniform', bound: 0.5 });
  });

  it('on a [2, 3, 4] input equals the TypeScript matmul + bias to 1e-5', async () => {
    const g = new Graph();
    const lin = new Linear(g, 'lin', { inFeatures: 4, outFeatures: 5 });
    const x = g.input('x', 'float32', [2, 3, 4]);
    const y = lin.apply(x); // [2, 3, 5]
    expect(y.shape).toEqual([2, 3, 5]);
    g.output('y', y);
    const params = initParams(g, 123);
    const xv = randn([2, 3, 4], 1);
    const out = await runY(g, params, { x: xv });
    expect(out.shape).toEqual([2, 3, 5]);
    const w = params.get('lin.weight')!.data as Float32Array;
    const b = params.get('lin.bias')!.data as Float32Array;
    expectClose(out, linearRef(xv.data, w, b, 4, 5), 1e-5);
  });

  it('keeps named leading dims and runs on any batch size', async () => {
    const g = new Graph();
    const lin = new Linear(g, 'lin', { inFeatures: 3, outFeatures: 2, bias: false });
    const x = g.input('x', 'float32', ['B', 'T', 3]);
    const y = lin.apply(x); // [B, T, 2]
    expect(y.shape).toEqual(['B', 'T', 2]);
    expect([...g.params.keys()]).toEqual(['lin.weight']);
    g.output('y', y);
    const params = initParams(g, 5);
    const xv = randn([4, 1, 3], 2);
    const out = await runY(g, params, { x: xv });
    expect(out.shape).toEqual([4, 1, 2]);
    expectClose(out, linearRef(xv.data, params.get('lin.weight')!.data as Float32Array, null, 3, 2), 1e-5);
  });

  it('accepts a rank-1 input [in] → [out]', async () => {
    const g = new Graph();
    const lin = new Linear(g, 'lin', { inFeatures: 3, outFeatures: 2 });
    g.output('y', lin.apply(g.input('x', 'float32', [3]))); // [2]
    const params = initParams(g, 6);
    const xv = hostTensor('float32', [3], Float32Array.of(1, -2, 0.5));
    const out = await runY(g, params, { x: xv });
    expect(out.shape).toEqual([2]);
    expectClose(out, linearRef(xv.data, params.get('lin.weight')!.data as Float32Array, params.get('lin.bias')!.data as Float32Array, 3, 2), 1e-5);
  });

  it("'normal' init uses N(0, initStd²) weights and a zero bias", () => {
    const g = new Graph();
    new Linear(g, 'lin', { inFeatures: 8, outFeatures: 8, init: 'normal', initStd: 0.05 });
    expect(g.params.get('lin.weight')!.init).toEqual({ kind: 'normal', std: 0.05 });
    expect(g.params.get('lin.bias')!.init).toEqual({ kind: 'zeros' });
    const g2 = new Graph();
    new Linear(g2, 'lin', { inFeatures: 8, outFeatures: 8, init: 'normal' });
    expect(g2.params.get('lin.weight')!.init).toEqual({ kind: 'normal', std: 0.02 });
  });

  it('rejects a bad config and a mismatched input, naming the key and the path', () => {
    const g = new Graph();
    expect(() => g.withScope('enc', () => new Linear(g, 'fc', { inFeatures: 4, outFeature: 5 } as never))).toThrow(
      /Linear config at enc\.fc: unknown key 'outFeature'/,
    );
    expect(() => new Linear(g, 'a', { inFeatures: 4, outFeatures: 5, bias: 1 } as never)).toThrow(/'bias' must be a boolean/);
    expect(() => new Linear(g, 'b', { inFeatures: 0, outFeatures: 5 })).toThrow(/'inFeatures' must be ≥ 1/);
    expect(() => new Linear(g, 'c', { inFeatures: 4, outFeatures: 5, init: 'xavier' } as never)).toThrow(/'init' must be one of/);
    const lin = new Linear(g, 'd', { inFeatures: 4, outFeatures: 5 });
    expect(() => lin.apply(g.input('x', 'float32', [2, 3]))).toThrow(/Linear d: input last dim must be 4/);
  });
});
