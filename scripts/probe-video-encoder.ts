/**
 * How fast a video encoder learns to see motion: trains mm-small's video
 * encoder plus a linear probe, from scratch, on eight yes/no labels of a
 * synthetic clip — does some object move left / right / up / down, and does
 * the red / green / blue / yellow object move (motion bound to an object) —
 * and prints validation accuracy as it goes. Compares tubelet lengths, frame
 * sizes and pixel stems; the numbers are in BENCHMARKS.md.
 *
 *   npx tsx scripts/probe-video-encoder.ts [--tubelet T] [--size S] [--patch P] [--stem patch|conv] [--steps N] [--data DIR]
 *
 * DIR is a `mixmodal data synth` folder (default data/synth-demo, which
 * `npm run train:demo` writes); its scenes.jsonl gives the labels.
 */
import { readFileSync } from 'node:fs';
import type * as ort from 'onnxruntime-node';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildTrainingGraph } from '../src/autodiff/training-graph.js';
import { emitModel } from '../src/graph/emit-onnx.js';
import { Graph } from '../src/graph/graph.js';
import type { HostTensor } from '../src/graph/host-tensor.js';
import * as op from '../src/graph/ops/index.js';
import { Random } from '../src/graph/random.js';
import { loadVideo } from '../src/data/media/video.js';
import type { Scene } from '../src/data/synth/scene.js';
import { COLOURS } from '../src/data/synth/vocab.js';
import { loadModelConfig } from '../src/model/config.js';
import { VideoEncoder } from '../src/model/encoders/index.js';
import { Linear } from '../src/nn/linear.js';
import { initParams } from '../src/runtime/init-params.js';
import { Session } from '../src/runtime/session.js';
import { TrainingSession } from '../src/runtime/training-session.js';
import { accuracy, softmaxCrossEntropy } from '../src/train/losses/cross-entropy.js';

const { values } = parseArgs({
  options: {
    tubelet: { type: 'string' },
    size: { type: 'string' },
    patch: { type: 'string' },
    stem: { type: 'string' },
    steps: { type: 'string', default: '600' },
    data: { type: 'string', default: 'data/synth-demo' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  console.log('npx tsx scripts/probe-video-encoder.ts [--tubelet T] [--size S] [--patch P] [--stem patch|conv] [--steps N] [--data DIR]');
  process.exit(0);
}
const steps = Number(values.steps);
if (!Number.isInteger(steps) || steps < 1) throw new Error(`--steps must be a positive integer, got '${values.steps}'`);
if (values.stem !== undefined && values.stem !== 'patch' && values.stem !== 'conv') throw new Error(`--stem must be patch or conv, got '${values.stem}'`);

const BATCH = 32;
const cfg = loadModelConfig('mm-small');
const base = cfg.video;
const videoCfg = {
  ...base,
  tubeletFrames: values.tubelet ? Number(values.tubelet) : base.tubeletFrames,
  videoSize: values.size ? Number(values.size) : base.videoSize,
  videoPatch: values.patch ? Number(values.patch) : base.videoPatch,
  stem: (values.stem ?? base.stem) as 'patch' | 'conv',
};
const { videoFrames: frames, videoSize: size } = videoCfg;
const DIRECTIONS = ['left', 'right', 'up', 'down'] as const;
const LABELS = DIRECTIONS.length + COLOURS.length;

interface Labelled {
  pixels: Float32Array;
  labels: number[];
}
const scenes = readFileSync(join(values.data!, 'scenes.jsonl'), 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l) as Scene & { id: string; split: string });
const label = async (s: Scene & { id: string }): Promise<Labelled> => ({
  pixels: await loadVideo(join(values.data!, 'vid', `${s.id}.y4m`), { frames, size }),
  labels: [
    ...DIRECTIONS.map((d) => (s.objects.some((o) => o.motion === d) ? 1 : 0)),
    ...COLOURS.map((c) => (s.objects.some((o) => o.colour === c && o.motion !== 'none') ? 1 : 0)),
  ],
});
const train = await Promise.all(scenes.filter((s) => s.split === 'train').map(label));
const val = await Promise.all(scenes.filter((s) => s.split === 'val').map(label));

/** Encoder → pooled → LABELS × 2 logits; loss and accuracy over the yes/no labels. */
function probeGraph(name: string) {
  const g = new Graph(name);
  const pixels = g.input('pixels', 'float32', [BATCH, frames, 3, size, size]);
  const labels = g.input('labels', 'int64', [BATCH, LABELS]);
  const encoder = g.withScope('encoders', () => new VideoEncoder(g, 'video', videoCfg));
  const pooled = g.withScope('encoders', () => encoder.apply(pixels).pooled); // [B, D]
  const logits = op.reshape(new Linear(g, 'probe', { inFeatures: cfg.core.dim, outFeatures: 2 * LABELS }).apply(pooled), [BATCH, LABELS, 2]); // [B, L, 2]
  return { g, loss: softmaxCrossEntropy(logits, labels), acc: accuracy(logits, labels) };
}

function batch(rows: Labelled[]): Record<string, HostTensor> {
  const n = frames * 3 * size * size;
  const pixels = new Float32Array(BATCH * n);
  rows.forEach((r, i) => pixels.set(r.pixels, i * n));
  return {
    pixels: { dtype: 'float32', shape: [BATCH, frames, 3, size, size], data: pixels },
    labels: { dtype: 'int64', shape: [BATCH, LABELS], data: BigInt64Array.from(rows.flatMap((r) => r.labels.map(BigInt))) },
  };
}

const t = probeGraph('probe');
const session = await TrainingSession.create(buildTrainingGraph(t.g, t.loss, { optimizer: { kind: 'adamw' }, metrics: { acc: t.acc } }), initParams(t.g, 0));
const e = probeGraph('probe-eval');
const evalSession = await Session.create(emitModel(e.g, { outputs: [{ name: 'acc', value: e.acc }] }));
async function validate(): Promise<number> {
  let sum = 0;
  let n = 0;
  for (let i = 0; i + BATCH <= val.length; i += BATCH, n++) {
    const feeds: Record<string, HostTensor | ort.Tensor> = batch(val.slice(i, i + BATCH));
    for (const p of e.g.params.keys()) feeds[p] = session.store.param(p, session.store.shape(p)).front;
    sum += (await evalSession.run(feeds)).acc!.data[0] as number;
  }
  return sum / n;
}

const rng = new Random(1);
// The best answer that ignores the clip: each label's more common value.
const blind = Array.from({ length: LABELS }, (_, i) => {
  const yes = val.filter((r) => r.labels[i] === 1).length / val.length;
  return Math.max(yes, 1 - yes) / LABELS;
}).reduce((s, x) => s + x, 0);
const what = `tubelet ${videoCfg.tubeletFrames}, ${size}×${size} frames, patch ${videoCfg.videoPatch}, stem ${videoCfg.stem}`;
console.log(`${what}: ${train.length} training clips, ${val.length} validation; answering without looking scores ${blind.toFixed(3)}`);
const t0 = performance.now();
for (let step = 1; step <= steps; step++) {
  const rows = Array.from({ length: BATCH }, () => train[rng.int(train.length)]!);
  const r = await session.step(batch(rows), 1e-3 * Math.min(1, step / 30)); // 30 warm-up steps
  if (step % 100 === 0 || step === steps) console.log(`step ${step}: training loss ${r.loss.toFixed(3)}, validation accuracy ${(await validate()).toFixed(3)} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
}
await session.release();
await evalSession.release();
