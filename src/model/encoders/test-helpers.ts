/** Shared helpers of the encoder tests: run a traced graph once in ONNX Runtime, random host tensors, gradient checks. */
import { expect } from 'vitest';
import { emitModel } from '../../graph/emit-onnx.js';
import type { Graph } from '../../graph/graph.js';
import { hostTensor, type HostTensor } from '../../graph/host-tensor.js';
import * as op from '../../graph/ops/index.js';
import { Random } from '../../graph/random.js';
import type { Value } from '../../graph/value.js';
import { gradients } from '../../autodiff/gradients.js';
import { initParams } from '../../runtime/init-params.js';
import { Session } from '../../runtime/session.js';

/** Emits `outputs` of `g` with `params` baked in, runs it once, returns the outputs by name. */
export async function runGraph(
  g: Graph,
  outputs: Record<string, Value>,
  feeds: Record<string, HostTensor>,
  params: ReadonlyMap<string, HostTensor> = new Map(),
): Promise<Record<string, HostTensor>> {
  const bytes = emitModel(g, { outputs: Object.entries(outputs).map(([name, value]) => ({ name, value })), paramValues: params });
  const s = await Session.create(bytes, { threads: 2 });
  try {
    return await s.run(feeds);
  } finally {
    await s.release();
  }
}

/** float32 tensor of N(shift, scale²) values from `seed`. */
export function randn(shape: number[], seed: number, scale = 1, shift = 0): HostTensor<'float32'> {
  const r = new Random(seed);
  return hostTensor('float32', shape, Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => shift + scale * r.normal()));
}

/** float32 tensor of U(0, 1) values (pixels) from `seed`. */
export function uniform01(shape: number[], seed: number): HostTensor<'float32'> {
  const r = new Random(seed);
  return hostTensor('float32', shape, Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r.nextFloat()));
}

export const int64s = (shape: number[], xs: number[]): HostTensor<'int64'> => hostTensor('int64', shape, BigInt64Array.from(xs.map(BigInt)));
export const bools = (shape: number[], xs: number[]): HostTensor<'bool'> => hostTensor('bool', shape, Uint8Array.from(xs));

/** A float32 tensor's values as a plain array. */
export const f32 = (t: HostTensor): number[] => Array.from(t.data as Float32Array);

/** Largest |a − b| over two equally long arrays. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/**
 * Differentiates loss = mean(tokens²) + mean(pooled²) with respect to every
 * parameter of `g`, runs forward and backward once in ONNX Runtime with
 * initialised parameters, and returns the gradients by parameter path (null
 * = the loss does not reach it) with the forward outputs.
 */
export async function gradientsOfEveryParam(
  g: Graph,
  out: { tokens: Value; pooled: Value },
  feeds: Record<string, HostTensor>,
  seed = 0,
): Promise<{ grads: Map<string, HostTensor | null>; forward: Record<string, HostTensor> }> {
  const loss = op.add(op.reduceMean(op.mul(out.tokens, out.tokens)), op.reduceMean(op.mul(out.pooled, out.pooled))); // []
  const paths = [...g.params.keys()];
  const gs = gradients(
    loss,
    paths.map((p) => g.params.get(p)!.value),
  );
  const fetch: Record<string, Value> = { tokens: out.tokens, pooled: out.pooled, loss };
  gs.forEach((v, i) => {
    if (v) fetch[`grad/${paths[i]}`] = v;
  });
  const res = await runGraph(g, fetch, feeds, initParams(g, seed));
  return { grads: new Map(paths.map((p) => [p, res[`grad/${p}`] ?? null])), forward: res };
}

/** Asserts that every parameter got a gradient (from gradientsOfEveryParam) that is finite and not all zero. */
export function expectGradientOnEveryParam(grads: Map<string, HostTensor | null>): void {
  for (const [path, grad] of grads) {
    expect(grad, path).not.toBeNull();
    const v = f32(grad!);
    expect(v.every(Number.isFinite), path).toBe(true);
    expect(Math.max(...v.map(Math.abs)), path).toBeGreaterThan(0);
  }
}
