/**
 * mixmodal side of the engine benchmark: one full training step (forward,
 * backward, Adam update in one ONNX graph) of an MLP
 * Linear → ReLU → Linear with MSE loss, run by ONNX Runtime.
 */
import { buildTrainingGraph } from '../src/autodiff/training-graph.js';
import { Graph } from '../src/graph/graph.js';
import * as op from '../src/graph/ops/index.js';
import { Random } from '../src/graph/random.js';
import { Mlp } from '../src/nn/mlp.js';
import { initParams } from '../src/runtime/init-params.js';
import { TrainingSession } from '../src/runtime/training-session.js';
import { median } from './stats.js';

export interface MlpStepBench {
  batch: number;
  dims: [number, number, number];
  warmup: number;
  iters: number;
}

export async function benchMixmodalMlpStep(o: MlpStepBench): Promise<{ medianMs: number; timesMs: number[] }> {
  const [din, dh, dout] = o.dims;
  const g = new Graph('bench-mlp');
  const x = g.input('x', 'float32', [o.batch, din]);
  const t = g.input('t', 'float32', [o.batch, dout]);
  const y = new Mlp(g, 'mlp', { inFeatures: din, hiddenFeatures: dh, outFeatures: dout, activation: 'relu' }).apply(x); // [B, dout]
  const d = op.sub(y, t); // [B, dout]
  const loss = op.reduceMean(op.mul(d, d)); // []
  // Adam as tf.train.adam: lr 1e-3, β 0.9/0.999, ε 1e-8 (mixmodal's is AdamW; decay 0 makes it Adam).
  const tg = buildTrainingGraph(g, loss, { optimizer: { kind: 'adamw', weightDecay: 0, eps: 1e-8 } });
  const session = await TrainingSession.create(tg, initParams(g, 0));
  const rng = new Random(1);
  const batch = {
    x: { dtype: 'float32' as const, shape: [o.batch, din], data: Float32Array.from({ length: o.batch * din }, () => rng.normal()) },
    t: { dtype: 'float32' as const, shape: [o.batch, dout], data: Float32Array.from({ length: o.batch * dout }, () => rng.normal()) },
  };
  for (let i = 0; i < o.warmup; i++) await session.step(batch, 1e-3);
  const timesMs: number[] = [];
  for (let i = 0; i < o.iters; i++) {
    const t0 = performance.now();
    await session.step(batch, 1e-3);
    timesMs.push(performance.now() - t0);
  }
  await session.release();
  return { medianMs: median(timesMs), timesMs };
}
