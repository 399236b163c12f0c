import { describe, expect, it } from 'vitest';
import { Graph } from '../graph/graph.js';
import type { HostTensor } from '../graph/host-tensor.js';
import * as op from '../graph/ops/index.js';
import { TrainingSession } from '../runtime/training-session.js';
import type { OptimizerConfig } from './optimizers.js';
import { buildTrainingGraph, type TrainingGraphOptions } from './training-graph.js';

// A linear regression y = x·W + b with loss mean((y − t)²), plus a parameter the loss ignores.
const N = 5;
const IN = 3;
const OUT = 4;

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}

const rand = lcg(7);
const xs = Float32Array.from({ length: N * IN }, rand);
const ts = Float32Array.from({ length: N * OUT }, rand);
const w0 = Float32Array.from({ length: IN * OUT }, rand);
const b0 = Float32Array.from({ length: OUT }, rand);
const u0 = Float32Array.from({ length: 2 }, rand);

function build(o: Omit<TrainingGraphOptions, 'updateMasks'>, mask = false) {
  const g = new Graph('linreg');
  const x = g.input('x', 'float32', [N, IN]);
  const t = g.input('t', 'float32', [N, OUT]);
  const w = g.param('w', [IN, OUT], { kind: 'zeros' });
  const b = g.param('b', [OUT], { kind: 'zeros' });
  g.param('unused', [2], { kind: 'zeros' });
  const y = op.add(op.matmul(x, w), b); // [N, OUT]
  const d = op.sub(y, t); // [N, OUT]
  const loss = op.reduceMean(op.mul(d, d)); // []
  const masks = new Map();
  if (mask) masks.set('w', g.input('mask_w', 'bool', []));
  return buildTrainingGraph(g, loss, { ...o, updateMasks: masks });
}

const initial = (): Map<string, HostTensor> =>
  new Map<string, HostTensor>([
    ['w', { dtype: 'float32', shape: [IN, OUT], data: w0.slice() }],
    ['b', { dtype: 'float32', shape: [OUT], data: b0.slice() }],
    ['unused', { dtype: 'float32', shape: [2], data: u0.slice() }],
  ]);
const batch = { x: { dtype: 'float32' as const, shape: [N, IN], data: xs }, t: { dtype: 'float32' as const, shape: [N, OUT], data: ts } };

/** Plain float64 reference: gradients of the MSE, global-norm clipping, then the optimizer. */
class Reference {
  p: Record<string, Float64Array> = { w: Float64Array.from(w0), b: Float64Array.from(b0), unused: Float64Array.from(u0) };
  s: Record<string, Record<string, Float64Array>> = {};
  t = 0;
  constructor(readonly opt: OptimizerConfig, readonly clip?: number) {}

  grads(): Record<string, Float64Array> {
    const gw = new Float64Array(IN * OUT);
    const gb = new Float64Array(OUT);
    for (let n = 0; n < N; n++) {
      for (let o = 0; o < OUT; o++) {
        let y = this.p.b![o]!;
        for (let i = 0; i < IN; i++) y += xs[n * IN + i]! * this.p.w![i * OUT + o]!;
        const dy = (2 * (y - ts[n * OUT + o]!)) / (N * OUT);
        gb[o] += dy;
        for (let i = 0; i < IN; i++) gw[i * OUT + o] += xs[n * IN + i]! * dy;
      }
    }
    return { w: gw, b: gb, unused: new Float64Array(2) };
  }

  step(lr: number): number {
    this.t += 1;
    const g = this.grads();
    const norm = Math.sqrt(Object.values(g).reduce((s, a) => s + a.reduce((q, v) => q + v * v, 0), 0));
    const scale = this.clip === undefined ? 1 : Math.min(1, this.clip / (norm + 1e-6));
    for (const k of Object.keys(this.p)) {
      const p = this.p[k]!;
      const st = (this.s[k] ??= { m: new Float64Array(p.length), v: new Float64Array(p.length) });
      for (let i = 0; i < p.length; i++) {
        const gi = g[k]![i]! * scale;
        if (this.opt.kind === 'adamw') {
          const { beta1: b1 = 0.9, beta2: b2 = 0.999, eps = 1e-8, weightDecay: wd = 0.01 } = this.opt;
          st.m![i] = b1 * st.m![i]! + (1 - b1) * gi;
          st.v![i] = b2 * st.v![i]! + (1 - b2) * gi * gi;
          const mhat = st.m![i]! / (1 - b1 ** this.t);
          const vhat = st.v![i]! / (1 - b2 ** this.t);
          p[i] = p[i]! * (1 - lr * wd) - (lr * mhat) / (Math.sqrt(vhat) + eps);
        } else {
          const { momentum: mu = 0, weightDecay: wd = 0 } = this.opt;
          const d = gi + wd * p[i]!;
          st.m![i] = mu * st.m![i]! + d;
          p[i] = p[i]! - lr * (mu > 0 ? st.m![i]! : d);
        }
      }
    }
    return norm;
  }
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rel: number): void {
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!;
    const err = Math.abs(actual[i]! - e) / Math.max(Math.abs(e), 1e-3);
    if (err > rel) throw new Error(`element ${i}: got ${actual[i]}, expected ${e} (relative error ${err.toExponential(2)})`);
  }
}

describe('training graph', () => {
  const cases: [string, OptimizerConfig, number | undefined][] = [
    ['AdamW with weight decay and active clipping', { kind: 'adamw', weightDecay: 0.1 }, 0.05],
    ['AdamW without clipping', { kind: 'adamw', beta1: 0.8, beta2: 0.99, eps: 1e-6 }, undefined],
    ['SGD with momentum and weight decay', { kind: 'sgd', momentum: 0.9, weightDecay: 0.01 }, 0.1],
    ['plain SGD', { kind: 'sgd' }, undefined],
  ];
  it.each(cases)('%s matches a float64 TypeScript reference to 1e-5', async (_, opt, clip) => {
    const tg = build({ optimizer: opt, clipGradNorm: clip });
    const session = await TrainingSession.create(tg, initial());
    const ref = new Reference(opt, clip);
    for (const lr of [0.1, 0.05, 0.02]) {
      const { gradNorm } = await session.step(batch, lr);
      const refNorm = ref.step(lr);
      expect(Math.abs(gradNorm - refNorm) / refNorm).toBeLessThan(1e-5);
      if (clip !== undefined && lr === 0.1) expect(refNorm).toBeGreaterThan(clip); // clipping really active
      const params = session.params();
      for (const k of ['w', 'b', 'unused']) expectClose(params.get(k)!.data as Float32Array, ref.p[k]!, 1e-5);
    }
    const state = session.optimizerState();
    if (opt.kind === 'adamw') expectClose(state.get('v:w')!.data as Float32Array, ref.s.w!.v!, 1e-4);
    await session.release();
  });

  it('a masked parameter and its optimizer state stay bit-identical while others move', async () => {
    const tg = build({ optimizer: { kind: 'adamw' } }, true);
    const session = await TrainingSession.create(tg, initial());
    const on = { dtype: 'bool' as const, shape: [], data: Uint8Array.of(1) };
    const off = { dtype: 'bool' as const, shape: [], data: Uint8Array.of(0) };
    await session.step({ ...batch, mask_w: on }, 0.1);
    const before = session.params();
    const stateBefore = session.optimizerState();
    await session.step({ ...batch, mask_w: off }, 0.1);
    const after = session.params();
    const stateAfter = session.optimizerState();
    expect(Buffer.from((after.get('w')!.data as Float32Array).buffer).equals(Buffer.from((before.get('w')!.data as Float32Array).buffer))).toBe(true);
    for (const s of ['m', 'v']) {
      const a = stateAfter.get(`${s}:w`)!.data as Float32Array;
      const b = stateBefore.get(`${s}:w`)!.data as Float32Array;
      expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true);
    }
    expect(after.get('b')!.data).not.toEqual(before.get('b')!.data);
    // The skipped step does not count for the masked parameter's bias correction.
    expect(session.store.steps('w')).toBe(1);
    expect(session.store.steps('b')).toBe(2);
    await session.release();
  });

  it('a frozen parameter is fed but never updated, and gets no optimizer state', async () => {
    const tg = build({ optimizer: { kind: 'adamw' }, frozen: ['w'] });
    expect(tg.signature.trainable).toEqual(['b', 'unused']);
    expect(tg.signature.paramOutput.w).toBeUndefined();
    const session = await TrainingSession.create(tg, initial());
    await session.step(batch, 0.1);
    expect(session.params().get('w')!.data).toEqual(w0);
    expect(session.params().get('b')!.data).not.toEqual(b0);
    await session.release();
  });

  it("with unusedParams 'skip', a parameter the loss ignores is left out of the step entirely", async () => {
    const tg = build({ optimizer: { kind: 'adamw', weightDecay: 0.5 }, unusedParams: 'skip' });
    expect(tg.signature.trainable).toEqual(['w', 'b']);
    const session = await TrainingSession.create(tg, initial());
    await session.step(batch, 0.1);
    expect(session.params().get('unused')!.data).toEqual(u0); // not decayed
    expect(session.store.steps('unused')).toBe(0);
    await session.release();
  });

  it('rejects a non-scalar loss and a mask for an unknown parameter', () => {
    const g = new Graph('bad');
    const w = g.param('w', [2], { kind: 'zeros' });
    expect(() => buildTrainingGraph(g, w, { optimizer: { kind: 'sgd' } })).toThrow(/scalar/);
    const loss = op.reduceSum(w);
    expect(() => buildTrainingGraph(g, loss, { optimizer: { kind: 'sgd' }, updateMasks: new Map([['nope', w]]) })).toThrow(/unknown parameter nope/);
  });
});
