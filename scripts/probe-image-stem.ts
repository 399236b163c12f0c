/**
 * How fast an image encoder learns to see shapes: trains mm-small's image
 * encoder plus a linear probe, from scratch, to tell which of circle /
 * square / triangle a synthetic scene contains (three yes/no labels), and
 * prints validation accuracy as it goes. Compares the pixel stems of
 * configs/models (the patch projection vs the conv stem, see
 * src/nn/conv-stem.ts); the numbers are in BENCHMARKS.md.
 *
 *   npx tsx scripts/probe-image-stem.ts [--stem patch|conv] [--steps N] [--data DIR]
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
import { loadImage } from '../src/data/media/image.js';
import type { Scene } from '../src/data/synth/scene.js';
import { SHAPES } from '../src/data/synth/vocab.js';
import { loadModelConfig } from '../src/model/config.js';
import { ImageEncoder } from '../src/model/encoders/index.js';
import { Linear } from '../src/nn/linear.js';
import { initParams } from '../src/runtime/init-params.js';
import { Session } from '../src/runtime/session.js';
import { TrainingSession } from '../src/runtime/training-session.js';
import { accuracy, softmaxCrossEntropy } from '../src/train/losses/cross-entropy.js';

const { values } = parseArgs({
  options: {
    stem: { type: 'string', default: 'conv' },
    steps: { type: 'string', default: '800' },
    data: { type: 'string', default: 'data/synth-demo' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  console.log('npx tsx scripts/probe-image-stem.ts [--stem patch|conv] [--steps N] [--data DIR]');
  process.exit(0);
}
if (values.stem !== 'patch' && values.stem !== 'conv') throw new Error(`--stem must be patch or conv, got '${values.stem}'`);
const steps = Number(values.steps);
if (!Number.isInteger(steps) || steps < 1) throw new Error(`--steps must be a positive integer, got '${values.steps}'`);

const BATCH = 32;
const cfg = loadModelConfig('mm-small');
const imageCfg = { ...cfg.image, stem: values.stem as 'patch' | 'conv' };
const size = imageCfg.imageSize;

interface Labelled {
  pixels: Float32Array;
  /** 1 when the scene has a SHAPES[i]. */
  has: number[];
}
const scenes = readFileSync(join(values.data!, 'scenes.jsonl'), 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l) as Scene & { id: string; split: string });
const label = async (s: Scene & { id: string }): Promise<Labelled> => ({
  pixels: await loadImage(join(values.data!, 'img', `${s.id}.png`), size),
  has: SHAPES.map((shape) => (s.objects.some((o) => o.shape === shape) ? 1 : 0)),
});
const train = await Promise.all(scenes.filter((s) => s.split === 'train').map(label));
const val = await Promise.all(scenes.filter((s) => s.split === 'val').map(label));

/** Encoder → pooled → 3 × 2 logits; loss and accuracy over the three yes/no labels. */
function probeGraph(name: string) {
  const g = new Graph(name);
  const pixels = g.input('pixels', 'float32', [BATCH, 3, size, size]);
  const has = g.input('has', 'int64', [BATCH, SHAPES.length]);
  const encoder = g.withScope('encoders', () => new ImageEncoder(g, 'image', imageCfg));
  const pooled = g.withScope('encoders', () => encoder.apply(pixels).pooled); // [B, D]
  const logits = op.reshape(new Linear(g, 'probe', { inFeatures: cfg.core.dim, outFeatures: 2 * SHAPES.length }).apply(pooled), [BATCH, SHAPES.length, 2]); // [B, 3, 2]
  return { g, loss: softmaxCrossEntropy(logits, has), acc: accuracy(logits, has) };
}

function batch(rows: Labelled[]): Record<string, HostTensor> {
  const pixels = new Float32Array(BATCH * 3 * size * size);
  rows.forEach((r, i) => pixels.set(r.pixels, i * 3 * size * size));
  return {
    pixels: { dtype: 'float32', shape: [BATCH, 3, size, size], data: pixels },
    has: { dtype: 'int64', shape: [BATCH, SHAPES.length], data: BigInt64Array.from(rows.flatMap((r) => r.has.map(BigInt))) },
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
// The best answer that ignores the image: each label's more common value.
const base = SHAPES.reduce((s, _, i) => {
  const yes = val.filter((r) => r.has[i] === 1).length / val.length;
  return s + Math.max(yes, 1 - yes) / SHAPES.length;
}, 0);
console.log(`stem ${values.stem}: ${train.length} training scenes, ${val.length} validation; answering without looking scores ${base.toFixed(3)}`);
for (let step = 1; step <= steps; step++) {
  const rows = Array.from({ length: BATCH }, () => train[rng.int(train.length)]!);
  const r = await session.step(batch(rows), 1e-3 * Math.min(1, step / 30)); // 30 warm-up steps
  if (step % 100 === 0 || step === steps) console.log(`step ${step}: training loss ${r.loss.toFixed(3)}, validation accuracy ${(await validate()).toFixed(3)}`);
}
await session.release();
await evalSession.release();
