/** Shared helpers of the nn layer tests: run a traced graph once in ONNX Runtime, random inputs, a plain linear reference. */
import { expect } from 'vitest';
import { emitModel } from '../graph/emit-onnx.js';
import type { Graph } from '../graph/graph.js';
import { hostTensor, type HostTensor } from '../graph/host-tensor.js';
import { Random } from '../graph/random.js';
import { Session } from '../runtime/session.js';

/** Emits `g` with its parameters baked in, runs it once and returns output `y`. */
export async function runY(g: Graph, params: Map<string, HostTensor>, feeds: Record<string, HostTensor>): Promise<HostTensor> {
  const s = await Session.create(emitModel(g, { paramValues: params }), { threads: 1 });
  try {
    return (await s.run(feeds)).y!;
  } finally {
    await s.release();
  }
}

/** float32 tensor of N(shift, scale²) values from `seed`. */
export function randn(shape: number[], seed: number, scale = 1, shift = 0): HostTensor<'float32'> {
  const r = new Random(seed);
  return hostTensor('float32', shape, Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => shift + scale * r.normal()));
}

/** Plain y[r, o] = Σ_i x[r, i]·W[i, o] + b[o] over the flattened leading dims, in float64. */
export function linearRef(x: ArrayLike<number>, w: ArrayLike<number>, b: ArrayLike<number> | null, inF: number, outF: number): Float64Array {
  const rows = x.length / inF;
  const y = new Float64Array(rows * outF);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < outF; o++) {
      let acc = b ? b[o]! : 0;
      for (let i = 0; i < inF; i++) acc += x[r * inF + i]! * w[i * outF + o]!;
      y[r * outF + o] = acc;
    }
  }
  return y;
}

/** y = (x − mean) / sqrt(var + ε) · w + b over rows of `dim` (biased variance), in float64; no w/b = the init's 1 and 0. */
export function layerNormRef(x: ArrayLike<number>, dim: number, o: { weight?: ArrayLike<number>; bias?: ArrayLike<number> | null; eps?: number } = {}): Float64Array {
  const eps = o.eps ?? 1e-5;
  const y = new Float64Array(x.length);
  for (let r = 0; r < x.length / dim; r++) {
    let mean = 0;
    for (let i = 0; i < dim; i++) mean += x[r * dim + i]!;
    mean /= dim;
    let v = 0;
    for (let i = 0; i < dim; i++) v += (x[r * dim + i]! - mean) ** 2;
    const inv = 1 / Math.sqrt(v / dim + eps);
    for (let i = 0; i < dim; i++) y[r * dim + i] = (x[r * dim + i]! - mean) * inv * (o.weight ? o.weight[i]! : 1) + (o.bias ? o.bias[i]! : 0);
  }
  return y;
}

/** Asserts `actual` has `expected`'s length and every element within `tol` of it. */
export function expectClose(actual: HostTensor, expected: ArrayLike<number>, tol: number): void {
  expect(actual.data.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expect(Math.abs((actual.data[i] as number) - expected[i]!)).toBeLessThan(tol);
}
