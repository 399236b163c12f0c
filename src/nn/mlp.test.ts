import { describe, expect, it } from 'vitest';
import { emitModel } from '../graph/emit-onnx.js';
import { Graph } from '../graph/graph.js';
import { hostTensor, type HostTensor } from '../graph/host-tensor.js';
import { Random } from '../graph/random.js';
import { initParams } from '../runtime/init-params.js';
import { Session } from '../runtime/session.js';
import { Mlp, type Activation } from './mlp.js';

async function runY(g: Graph, params: Map<string, HostTensor>, feeds: Record<string, HostTensor>): Promise<HostTensor> {
  const s = await Session.create(emitModel(g, { paramValues: params }), { threads: 1 });
  try {
    return (await s.run(feeds)).y!;
  } finally {
    await s.release();
  }
}

const randn = (shape: number[], seed: number): HostTensor<'float32'> => {
  const r = new Random(seed);
  return hostTensor('float32', shape, Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r.normal()));
};

/** erf via the Numerical Recipes erfc Chebyshev fit (fractional error < 1.2e-7). */
function erf(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const poly =
    -z * z - 1.26551223 +
    t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  const r = 1 - t * Math.exp(poly);
  return x >= 0 ? r : -r;
}

const ACT: Record<Activation, (x: number) => number> = {
  gelu: (x) => 0.5 * x * (1 + erf(x / Math.SQRT2)),
  relu: (x) => Math.max(0, x),
  tanh: Math.tanh,
};

function linear(x: ArrayLike<number>, w: ArrayLike<number>, b: ArrayLike<number> | null, inF: number, outF: number): number[] {
  const rows = x.length / inF;
  const y: number[] = [];
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < outF; o++) {
      let acc = b ? b[o]! : 0;
      for (let i = 0; i < inF; i++) acc += x[r * inF + i]! * w[i * outF + o]!;
      y.push(acc);
    }
  }
  return y;
}

function mlpRef(x: Float32Array, p: Map<string, HostTensor>, prefix: string, dims: [number, number, number], act: Activation): number[] {
  const get = (k: string) => (p.get(`${prefix}.${k}`)?.data as Float32Array | undefined) ?? null;
  const h = linear(x, get('fc1.weight')!, get('fc1.bias'), dims[0], dims[1]).map(ACT[act]);
  return linear(h, get('fc2.weight')!, get('fc2.bias'), dims[1], dims[2]);
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
      const want = mlpRef(xv.data, params, 'blk.mlp', [4, 8, 5], act);
      for (let i = 0; i < want.length; i++) expect(Math.abs((out.data[i] as number) - want[i]!)).toBeLessThan(1e-5);
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
    const want = mlpRef(xv.data, params, 'ffn', [3, 6, 3], 'gelu');
    for (let i = 0; i < want.length; i++) expect(Math.abs((out.data[i] as number) - want[i]!)).toBeLessThan(1e-5);
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
