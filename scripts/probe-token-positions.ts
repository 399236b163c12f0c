/**
 * Do a trained image encoder's output tokens still say where they are? Runs
 * the encoder of a model (or training run) folder on the test split's images
 * and fits a least-squares linear probe (ridge 1e-2, closed form) from each
 * token to its patch row and to its column (one-hot), on the first 80% of the
 * images; prints the accuracy on the rest, for the patch grid and for the
 * 2×2-merged grid the fusion sees (chance is 1 / grid side); then, the same
 * way, from the token under each object's centre to that object's shape,
 * colour and size (scenes.jsonl gives them).
 *
 *   npx tsx scripts/probe-token-positions.ts --from DIR --data SYNTH_DIR [--images N]
 *
 * DIR needs config.json, tokenizer.json and weights (a model folder, or a run
 * folder after stages 1–2).
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadTokenizer } from '../src/data/tokenizer/index.js';
import { emitModel } from '../src/graph/emit-onnx.js';
import { Graph } from '../src/graph/graph.js';
import { loadModelConfig } from '../src/model/config.js';
import { ImageEncoder } from '../src/model/encoders/index.js';
import { Session } from '../src/runtime/session.js';
import { stackMedia } from '../src/train/batches.js';
import { loadDataset } from '../src/train/dataset.js';
import { loadWeights } from '../src/train/model-folder.js';
import { COLOURS, SHAPES, SIZES } from '../src/data/synth/vocab.js';
import { readSynthScenes } from './linear-probe.js';

const { values } = parseArgs({
  options: {
    from: { type: 'string' },
    data: { type: 'string', default: 'data/synth-demo' },
    images: { type: 'string', default: '500' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help || !values.from) {
  console.log('npx tsx scripts/probe-token-positions.ts --from DIR --data SYNTH_DIR [--images N]');
  process.exit(values.help ? 0 : 1);
}
const n = Number(values.images);
if (!Number.isInteger(n) || n < 10) throw new Error(`--images must be an integer ≥ 10, got '${values.images}'`);

const cfg = loadModelConfig(join(values.from, 'config.json'));
const tok = await loadTokenizer(join(values.from, 'tokenizer.json'));
const { params } = await loadWeights(values.from, cfg);
const test = await loadDataset(join(values.data!, 'manifest.jsonl'), cfg, tok, { split: 'test' });
const seen = new Set<string>();
const examples = test.examples.filter((ex) => ex.image && ex.files.image && !seen.has(ex.files.image) && seen.add(ex.files.image)).slice(0, n);
// The image encoder alone (parameters encoders.image.*), as the fusion stack receives its tokens.
const g = new Graph('image-tokens');
const encoder = g.withScope('encoders', () => new ImageEncoder(g, 'image', cfg.image));
const tokensOut = encoder.apply(g.input('image', 'float32', ['batch', 3, cfg.image.imageSize, cfg.image.imageSize])).tokens; // [B, T, D]
const session = await Session.create(emitModel(g, { outputs: [{ name: 'tokens', value: tokensOut }] }));
const weights = Object.fromEntries([...g.params.keys()].map((p) => [p, params.get(p)!]));
const d = cfg.core.dim;
const rows: Float32Array[] = []; // one [T, D] block per image
for (let i = 0; i < examples.length; i += 32) {
  const t = (await session.run({ ...weights, image: stackMedia(examples.slice(i, i + 32), 'image', cfg) })).tokens!; // [b, T, D]
  const per = t.shape[1]! * d;
  for (let b = 0; b < t.shape[0]!; b++) rows.push((t.data as Float32Array).slice(b * per, (b + 1) * per));
}
await session.release();
const side = cfg.image.imageSize / cfg.image.patchSize;
const tokens = side * side;
const split = Math.floor(examples.length * 0.8);

/** One probe sample: token `token` of image `image` and its class. */
interface Sample {
  image: number;
  token: number;
  label: number;
}

/** Accuracy of a ridge probe from token features to a class ∈ [0, k), fitted on the samples of images [0, split), tested on the rest. */
function probe(samples: readonly Sample[], k: number): number {
  const p = d + 1; // features and a bias
  const xtx = new Float64Array(p * p);
  const xty = new Float64Array(p * k);
  const x = new Float64Array(p);
  const features = (s: Sample) => rows[s.image]!.subarray(s.token * d, (s.token + 1) * d);
  for (const s of samples.filter((s) => s.image < split)) {
    x.set(features(s));
    x[d] = 1;
    for (let a = 0; a < p; a++) {
      for (let b = 0; b <= a; b++) xtx[a * p + b] += x[a]! * x[b]!;
      xty[a * k + s.label] += x[a]!;
    }
  }
  for (let a = 0; a < p; a++) {
    xtx[a * p + a] += 1e-2;
    for (let b = 0; b < a; b++) xtx[b * p + a] = xtx[a * p + b]!;
  }
  const w = solve(xtx, xty, p, k); // [p, k]
  const test = samples.filter((s) => s.image >= split);
  const right = test.filter((s) => {
    const f = features(s);
    let best = 0;
    let bestScore = -Infinity;
    for (let c = 0; c < k; c++) {
      let score = w[d * k + c]!;
      for (let j = 0; j < d; j++) score += f[j]! * w[j * k + c]!;
      if (score > bestScore) [best, bestScore] = [c, score];
    }
    return best === s.label;
  }).length;
  return right / test.length;
}

/** Solves A X = B for symmetric positive definite A [p, p] (Cholesky), B [p, k]. */
function solve(a: Float64Array, b: Float64Array, p: number, k: number): Float64Array {
  const l = new Float64Array(p * p);
  for (let i = 0; i < p; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * p + j]!;
      for (let m = 0; m < j; m++) s -= l[i * p + m]! * l[j * p + m]!;
      l[i * p + j] = i === j ? Math.sqrt(s) : s / l[j * p + j]!;
    }
  }
  const x = new Float64Array(p * k);
  for (let c = 0; c < k; c++) {
    const y = new Float64Array(p);
    for (let i = 0; i < p; i++) {
      let s = b[i * k + c]!;
      for (let m = 0; m < i; m++) s -= l[i * p + m]! * y[m]!;
      y[i] = s / l[i * p + i]!;
    }
    for (let i = p - 1; i >= 0; i--) {
      let s = y[i]!;
      for (let m = i + 1; m < p; m++) s -= l[m * p + i]! * x[m * k + c]!;
      x[i * k + c] = s / l[i * p + i]!;
    }
  }
  return x;
}

const row = (t: number) => Math.floor(t / side);
const col = (t: number) => t % side;
const everyToken = (label: (t: number) => number): Sample[] => rows.flatMap((_, image) => Array.from({ length: tokens }, (_, token) => ({ image, token, label: label(token) })));
console.log(`${values.from}: ${rows.length} test images, ${tokens} tokens each (${side}×${side}), probe fitted on ${split}`);
console.log(`patch row ${probe(everyToken(row), side).toFixed(3)}, column ${probe(everyToken(col), side).toFixed(3)} (chance ${(1 / side).toFixed(3)})`);
console.log(`2×2-merged row ${probe(everyToken((t) => Math.floor(row(t) / 2)), side / 2).toFixed(3)}, column ${probe(everyToken((t) => Math.floor(col(t) / 2)), side / 2).toFixed(3)} (chance ${(2 / side).toFixed(3)})`);

// The object at a token: each object's centre token → its shape, colour and size.
const scenes = new Map(readSynthScenes(values.data!).map((sc) => [sc.id, sc]));
const objects = examples.flatMap((ex, image) =>
  scenes.get(ex.id.split('-')[0]!)!.objects.map((o) => ({ image, token: Math.min(side - 1, Math.floor(o.y * side)) * side + Math.min(side - 1, Math.floor(o.x * side)), o })),
);
const attribute = <T extends string>(values: readonly T[], pick: (o: (typeof objects)[number]['o']) => T) => {
  const samples = objects.map(({ image, token, o }) => ({ image, token, label: values.indexOf(pick(o)) }));
  const counts = values.map((_, c) => samples.filter((s) => s.image >= split && s.label === c).length);
  return `${probe(samples, values.length).toFixed(3)} (majority ${(Math.max(...counts) / counts.reduce((a, b) => a + b, 0)).toFixed(3)})`;
};
console.log(`${objects.length} objects; at its centre token: shape ${attribute(SHAPES, (o) => o.shape)}, colour ${attribute(COLOURS, (o) => o.colour)}, size ${attribute(SIZES, (o) => o.size)}`);
