/**
 * The two-spirals classification problem (Lang & Witbrock 1988), trained
 * end to end through mixmodal's engine: trace an MLP → training graph →
 * ONNX Runtime. It is `mixmodal demo` and the engine's smoke test.
 */
import { buildTrainingGraph } from '../autodiff/training-graph.js';
import { Graph } from '../graph/graph.js';
import type { HostTensor } from '../graph/host-tensor.js';
import * as op from '../graph/ops/index.js';
import { Random } from '../graph/random.js';
import type { Value } from '../graph/value.js';
import { Linear } from '../nn/linear.js';
import { initParams } from '../runtime/init-params.js';
import { TrainingSession } from '../runtime/training-session.js';
import { accuracy, softmaxCrossEntropy } from '../train/losses/cross-entropy.js';

export interface SpiralData {
  x: HostTensor<'float32'>; // [N, 2]
  y: HostTensor<'int64'>; // [N]
}

/** `perClass` points on each of two interleaved spirals (1.5 turns), with Gaussian noise. */
export function makeTwoSpirals(perClass: number, seed: number, noise = 0.02): SpiralData {
  const rng = new Random(seed);
  const n = 2 * perClass;
  const x = new Float32Array(n * 2);
  const y = new BigInt64Array(n);
  for (let i = 0; i < perClass; i++) {
    const t = Math.sqrt((i + 0.5) / perClass) * 3 * Math.PI; // angle, denser near the centre
    const r = t / (3 * Math.PI);
    for (const cls of [0, 1]) {
      const k = 2 * i + cls;
      const sign = cls === 0 ? 1 : -1; // the second spiral is the first rotated by π
      x[2 * k] = sign * r * Math.cos(t) + noise * rng.normal();
      x[2 * k + 1] = sign * r * Math.sin(t) + noise * rng.normal();
      y[k] = BigInt(cls);
    }
  }
  return { x: { dtype: 'float32', shape: [n, 2], data: x }, y: { dtype: 'int64', shape: [n], data: y } };
}

export interface SpiralModelConfig {
  /** Width of the two hidden layers. */
  hidden: number;
}

/** An MLP 2 → hidden → hidden → 2 with tanh, traced on `g`; returns the logits [batch, 2]. */
export function spiralClassifier(g: Graph, x: Value, cfg: SpiralModelConfig): Value {
  const l1 = new Linear(g, 'fc1', { inFeatures: 2, outFeatures: cfg.hidden });
  const l2 = new Linear(g, 'fc2', { inFeatures: cfg.hidden, outFeatures: cfg.hidden });
  const l3 = new Linear(g, 'out', { inFeatures: cfg.hidden, outFeatures: 2 });
  const h1 = op.tanh(l1.apply(x)); // [B, H]
  const h2 = op.tanh(l2.apply(h1)); // [B, H]
  return l3.apply(h2); // [B, 2]
}

export interface SpiralTrainOptions {
  perClass?: number;
  hidden?: number;
  steps?: number;
  lr?: number;
  seed?: number;
  onStep?: (step: number, loss: number, accuracy: number) => void;
}

export interface SpiralTrainResult {
  accuracy: number;
  loss: number;
  steps: number;
  graph: Graph;
  logits: Value;
  params: Map<string, HostTensor>;
}

/** Full-batch AdamW with cosine decay; returns the final training accuracy. */
export async function trainTwoSpirals(o: SpiralTrainOptions = {}): Promise<SpiralTrainResult> {
  const { perClass = 200, hidden = 64, steps = 600, lr = 0.02, seed = 1 } = o;
  const data = makeTwoSpirals(perClass, seed);
  const g = new Graph('two-spirals');
  const x = g.input('x', 'float32', ['batch', 2]);
  const y = g.input('y', 'int64', ['batch']);
  const logits = spiralClassifier(g, x, { hidden });
  g.output('logits', logits);
  const loss = softmaxCrossEntropy(logits, y);
  const acc = accuracy(logits, y);
  const tg = buildTrainingGraph(g, loss, { optimizer: { kind: 'adamw', weightDecay: 0 }, metrics: { accuracy: acc } });
  const session = await TrainingSession.create(tg, initParams(g, seed));
  let last = { loss: Infinity, acc: 0 };
  for (let s = 0; s < steps; s++) {
    const rate = lr * 0.5 * (1 + Math.cos((Math.PI * s) / steps)); // cosine decay
    const r = await session.step({ x: data.x, y: data.y }, rate);
    last = { loss: r.loss, acc: (r.metrics.accuracy!.data as Float32Array)[0]! };
    o.onStep?.(s + 1, last.loss, last.acc);
  }
  const params = session.params();
  await session.release();
  return { accuracy: last.acc, loss: last.loss, steps, graph: g, logits, params };
}
