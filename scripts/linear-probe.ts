/**
 * The training loop of the encoder probes (scripts/probe-image-stem.ts,
 * scripts/probe-video-encoder.ts): an encoder's pooled vector → a linear
 * probe → yes/no logits per label, trained from scratch with AdamW (batch 32,
 * lr 1e-3 after 30 warm-up steps), printing validation accuracy every 100
 * steps next to the best accuracy that ignores the input.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as ort from 'onnxruntime-node';
import { buildTrainingGraph } from '../src/autodiff/training-graph.js';
import { emitModel } from '../src/graph/emit-onnx.js';
import { Graph } from '../src/graph/graph.js';
import type { HostTensor } from '../src/graph/host-tensor.js';
import * as op from '../src/graph/ops/index.js';
import { Random } from '../src/graph/random.js';
import type { Scene } from '../src/data/synth/scene.js';
import type { Colour, Shape } from '../src/data/synth/vocab.js';
import type { Value } from '../src/graph/value.js';
import { Linear } from '../src/nn/linear.js';
import { initParams } from '../src/runtime/init-params.js';
import { Session } from '../src/runtime/session.js';
import { TrainingSession } from '../src/runtime/training-session.js';
import { accuracy, softmaxCrossEntropy } from '../src/train/losses/cross-entropy.js';

export const PROBE_BATCH = 32;

/** A synthetic scene with its id and split, as `mixmodal data synth` writes them to DIR/scenes.jsonl (the probes' labels). */
export type SynthScene = Scene & { id: string; split: string };

export function readSynthScenes(dir: string): SynthScene[] {
  return readFileSync(join(dir, 'scenes.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as SynthScene);
}

/** What a contains-label asks for: an object of this shape (and, when given, this colour). */
export interface ObjectKind {
  shape: Shape;
  colour?: Colour;
}

/** 1 for each kind the scene has an object of, else 0. */
export function containsLabels(s: SynthScene, kinds: readonly ObjectKind[]): number[] {
  return kinds.map((k) => (s.objects.some((o) => o.shape === k.shape && (k.colour === undefined || o.colour === k.colour)) ? 1 : 0));
}

/** One example: the encoder's input and its 0/1 labels. */
export interface ProbeRow {
  input: Float32Array;
  labels: number[];
}

export interface LinearProbe {
  /** Printed first, e.g. "stem conv: 4000 training scenes". */
  title: string;
  /** Shape of one example's input (the graph input 'input' is [PROBE_BATCH, ...inputShape]). */
  inputShape: number[];
  /** Encoder under scope 'encoders': input [B, ...inputShape] → pooled [B, dim]. */
  encode: (g: Graph, input: Value) => Value;
  dim: number;
  train: ProbeRow[];
  val: ProbeRow[];
  steps: number;
  /** Starting values of some parameters (e.g. a trained model's encoder); the rest are initialised fresh. */
  init?: ReadonlyMap<string, HostTensor>;
  /** Parameters kept fixed (e.g. the trained encoder, so only the probe learns). */
  frozen?: (path: string) => boolean;
}

/** Trains the probe and prints training loss and validation accuracy as it goes. */
export async function runLinearProbe(p: LinearProbe): Promise<void> {
  const labels = p.train[0]!.labels.length;
  const size = p.inputShape.reduce((a, b) => a * b, 1);
  const probeGraph = (name: string) => {
    const g = new Graph(name);
    const input = g.input('input', 'float32', [PROBE_BATCH, ...p.inputShape]);
    const target = g.input('labels', 'int64', [PROBE_BATCH, labels]);
    const pooled = g.withScope('encoders', () => p.encode(g, input)); // [B, D]
    const logits = op.reshape(new Linear(g, 'probe', { inFeatures: p.dim, outFeatures: 2 * labels }).apply(pooled), [PROBE_BATCH, labels, 2]); // [B, L, 2]
    return { g, loss: softmaxCrossEntropy(logits, target), acc: accuracy(logits, target) };
  };
  const batch = (rows: ProbeRow[]): Record<string, HostTensor> => {
    const input = new Float32Array(PROBE_BATCH * size);
    rows.forEach((r, i) => input.set(r.input, i * size));
    return {
      input: { dtype: 'float32', shape: [PROBE_BATCH, ...p.inputShape], data: input },
      labels: { dtype: 'int64', shape: [PROBE_BATCH, labels], data: BigInt64Array.from(rows.flatMap((r) => r.labels.map(BigInt))) },
    };
  };

  const t = probeGraph('probe');
  const params = initParams(t.g, 0);
  for (const [path, value] of p.init ?? []) if (params.has(path)) params.set(path, value);
  const session = await TrainingSession.create(buildTrainingGraph(t.g, t.loss, { optimizer: { kind: 'adamw' }, metrics: { acc: t.acc }, frozen: p.frozen }), params);
  const e = probeGraph('probe-eval');
  const evalSession = await Session.create(emitModel(e.g, { outputs: [{ name: 'acc', value: e.acc }] }));
  const validate = async (): Promise<number> => {
    let sum = 0;
    let n = 0;
    for (let i = 0; i + PROBE_BATCH <= p.val.length; i += PROBE_BATCH, n++) {
      const feeds: Record<string, HostTensor | ort.Tensor> = batch(p.val.slice(i, i + PROBE_BATCH));
      for (const name of e.g.params.keys()) feeds[name] = session.store.param(name, session.store.shape(name)).front;
      sum += (await evalSession.run(feeds)).acc!.data[0] as number;
    }
    return sum / n;
  };

  // The best answer that ignores the input: each label's more common value.
  const blind = Array.from({ length: labels }, (_, i) => {
    const yes = p.val.filter((r) => r.labels[i] === 1).length / p.val.length;
    return Math.max(yes, 1 - yes) / labels;
  }).reduce((s, x) => s + x, 0);
  console.log(`${p.title}: ${p.train.length} training examples, ${p.val.length} validation; answering without looking scores ${blind.toFixed(3)}`);
  const rng = new Random(1);
  const t0 = performance.now();
  for (let step = 1; step <= p.steps; step++) {
    const rows = Array.from({ length: PROBE_BATCH }, () => p.train[rng.int(p.train.length)]!);
    const r = await session.step(batch(rows), 1e-3 * Math.min(1, step / 30)); // 30 warm-up steps
    if (step % 100 === 0 || step === p.steps) {
      console.log(`step ${step}: training loss ${r.loss.toFixed(3)}, validation accuracy ${(await validate()).toFixed(3)} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
    }
  }
  await session.release();
  await evalSession.release();
}
