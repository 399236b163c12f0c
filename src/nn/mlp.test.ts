import { describe, expect, it } from 'vitest';
import { Graph } from '../graph/graph.js';
import type { HostTensor } from '../graph/host-tensor.js';
import { gelu } from '../moe/reference.js';
import { initParams } from '../runtime/init-params.js';
import { Mlp, type Activation } from './mlp.js';
import { expectClose, linearRef, randn, runY } from './test-helpers.js';

const ACT: Record<Activation, (x: number) => number> = {
  gelu, // exact, with a float64 erf
  relu: (x) => Math.max(0, x),
  tanh: Math.tanh,
};

function mlpRef(x: Float32Array, p: Map<string, HostTensor>, prefix: string, dims: [number, number, number], act: Activation): Float64Array {
  const get = (k: string) => (p.get(`${prefix}.${k}`)?.data as Float32Array | undefined) ?? null;
  const h = linearRef(x, get('fc1.weight')!, get('fc1.bias'), dims[0], dims[1]).map(ACT[act]);
  return linearRef(h, get('fc2.weight')!, get('fc2.bias'), dims[1], dims[2]);
}

describe('Mlp', () => {
  it('names its parameters by path: <scope>.<name>.fc1/fc2.weight/bias', () => {
    const g = new Graph();
    g.withScope('encoder', () => g.withScope('layers', () => g.withScope(0, () => new Mlp(g, 'mlp', { inFeatures: 4, hiddenFeatures: 16 }))));
    expect([...g.params.keys()]).toEqual([
      'encoder.layers.0.mlp.fc1.weight',
      'encoder.layers.0.mlp.fc1.bias',
      'encoder.layers.0.mlp.fc2.weight',
      'encoder.layers.0.mlp.fc2.bias',
    ]);
    expect(g.params.get('encoder.layers.0.mlp.fc1.weight')!.value.shape).toEqual([4, 16]);
    expect(g.params.get('encoder.layers.0.mlp.fc2.weight')!.value.shape).toEqual([16, 4]);
  });

  for (const act of ['gelu', 'relu', 'tanh'] as const) {
    it(`with ${act} equals the TypeScript computation on [2, 3, 4]`, async () => {
      const g = new Graph();
      const mlp = g.withScope('blk', () => new Mlp(g, 'mlp', { inFeatures: 4, hiddenFeatures: 8, outFeatures: 5, activation: act }));
      const x = g.input('x', 'float32', [2, 3, 4]);
      const y = g.withScope('blk', () => mlp.apply(x)); // [2, 3, 5]
      expect(y.shape).toEqual([2, 3, 5]);
      g.output('y', y);
      const params = initParams(g, 21);
      const xv = randn([2, 3, 4], 22);
      const out = await runY(g, params, { x: xv });
      expect(out.shape).toEqual([2, 3, 5]);
      expectClose(out, mlpRef(xv.data, params, 'blk.mlp', [4, 8, 5], act), 1e-5);
    });
  }

  it('without bias has only the two weights, and applies under named dims', async () => {
    const g = new Graph();
    const mlp = new Mlp(g, 'ffn', { inFeatures: 3, hiddenFeatures: 6, bias: false, init: 'normal', initStd: 0.5 });
    expect([...g.params.keys()]).toEqual(['ffn.fc1.weight', 'ffn.fc2.weight']);
    expect(g.params.get('ffn.fc1.weight')!.init).toEqual({ kind: 'normal', std: 0.5 });
    const y = mlp.apply(g.input('x', 'float32', ['N', 3])); // [N, 3]
    expect(y.shape).toEqual(['N', 3]);
    g.output('y', y);
    const params = initParams(g, 2);
    const xv = randn([5, 3], 3);
    const out = await runY(g, params, { x: xv });
    expectClose(out, mlpRef(xv.data, params, 'ffn', [3, 6, 3], 'gelu'), 1e-5);
  });

  it('rejects a bad config, naming the key', () => {
    const g = new Graph();
    expect(() => new Mlp(g, 'a', { inFeatures: 3, hiddenFeatures: 6, act: 'relu' } as never)).toThrow(/Mlp config at a: unknown key 'act'/);
    expect(() => new Mlp(g, 'b', { inFeatures: 3, hiddenFeatures: 6, activation: 'swish' } as never)).toThrow(
      /'activation' must be one of 'gelu', 'relu', 'tanh'/,
    );
    expect(() => new Mlp(g, 'c', { inFeatures: 3 } as never)).toThrow(/missing required key 'hiddenFeatures'/);
  });
});
