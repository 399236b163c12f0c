/**
 * Do a trained image or video encoder's output tokens still say where they
 * are, and what is there? Runs the encoder of a model (or training run) folder
 * on the test split's images (or videos) and fits least-squares linear probes
 * (ridge 1e-2, closed form) on the first 80% of them; prints the accuracy on
 * the rest next to chance or the majority class.
 *
 * --media image (default): token → its patch row and column (one-hot), for the
 * patch grid and for the 2×2-merged grid the fusion sees (chance is 1 / grid
 * side); then the token under each object's centre → that object's shape,
 * colour and size (scenes.jsonl gives them).
 *
 * --media video: tokens are time-major, (videoFrames / tubeletFrames) time
 * slices × (videoSize / videoPatch)² patches. Token → its time slice, row and
 * column; then, for each object and time slice, the token under the object's
 * centre at the middle frame of that tubelet (its frame-0 centre moved along
 * its motion, as src/data/synth/video.ts draws it) → the object's motion,
 * shape, colour and size, one probe over all slices, with its accuracy per
 * slice; the same from the mean of the object's tokens over the slices (one
 * vector per object); and, when fusion.videoMerge k > 1, from the k×k block
 * around the centre token: its mean, and the fusion's learned merge
 * (fusion.merge_video) when the checkpoint has it.
 *
 *   npx tsx scripts/probe-token-positions.ts --from DIR --data SYNTH_DIR [--media image|video] [--images N]
 *
 * --images N caps the test images (or videos), default 500. DIR needs
 * config.json, tokenizer.json and weights (a model folder, or a run folder
 * after stages 1–2).
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadTokenizer } from '../src/data/tokenizer/index.js';
import { emitModel } from '../src/graph/emit-onnx.js';
import { Graph } from '../src/graph/graph.js';
import type { Value } from '../src/graph/value.js';
import { loadModelConfig } from '../src/model/config.js';
import { ImageEncoder, VideoEncoder } from '../src/model/encoders/index.js';
import { mediaShape } from '../src/model/model-inputs.js';
import { PatchMerge } from '../src/nn/patch-merge.js';
import { Session } from '../src/runtime/session.js';
import { stackMedia } from '../src/train/batches.js';
import { loadDataset } from '../src/train/dataset.js';
import { loadWeights } from '../src/train/model-folder.js';
import { positionAt, type SceneObject } from '../src/data/synth/scene.js';
import { frameTime } from '../src/data/synth/video.js';
import { COLOURS, DIRECTIONS, SHAPES, SIZES } from '../src/data/synth/vocab.js';
import { readSynthScenes } from './linear-probe.js';

const usage = 'npx tsx scripts/probe-token-positions.ts --from DIR --data SYNTH_DIR [--media image|video] [--images N]';
const { values } = parseArgs({
  options: {
    from: { type: 'string' },
    data: { type: 'string', default: 'data/synth-demo' },
    media: { type: 'string', default: 'image' },
    images: { type: 'string', default: '500' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help || !values.from) {
  console.log(usage);
  process.exit(values.help ? 0 : 1);
}
const media = values.media;
if (media !== 'image' && media !== 'video') throw new Error(`--media must be image or video, got '${media}'`);
const n = Number(values.images);
if (!Number.isInteger(n) || n < 10) throw new Error(`--images must be an integer ≥ 10, got '${values.images}'`);

const cfg = loadModelConfig(join(values.from, 'config.json'));
const tok = await loadTokenizer(join(values.from, 'tokenizer.json'));
const { params } = await loadWeights(values.from, cfg);
const test = await loadDataset(join(values.data!, 'manifest.jsonl'), cfg, tok, { split: 'test' });
const seen = new Set<string>();
const examples = test.examples.filter((ex) => ex[media] && ex.files[media] && !seen.has(ex.files[media]) && seen.add(ex.files[media])).slice(0, n);

const video = media === 'video';
const side = video ? cfg.video.videoSize / cfg.video.videoPatch : cfg.image.imageSize / cfg.image.patchSize;
const slices = video ? cfg.video.videoFrames / cfg.video.tubeletFrames : 1;
const grid = side * side; // tokens per time slice
const tokens = slices * grid;
const mergeK = video ? cfg.fusion.videoMerge : 1;
const learnedMerge = mergeK > 1 && params.has('fusion.merge_video.proj.weight');

// The encoder alone (parameters encoders.<media>.*), as the fusion stack receives its tokens; with the fusion's video merge when there is one.
const g = new Graph(`${media}-tokens`);
const encoder = g.withScope('encoders', () => (video ? new VideoEncoder(g, 'video', cfg.video) : new ImageEncoder(g, 'image', cfg.image)));
const tokensOut = encoder.apply(g.input(media, 'float32', ['batch', ...mediaShape(cfg, media)])).tokens; // [B, T, D]
const outputs: { name: string; value: Value }[] = [{ name: 'tokens', value: tokensOut }];
if (learnedMerge) {
  const merge = g.withScope('fusion', () => new PatchMerge(g, 'merge_video', { dim: cfg.core.dim, grid: side, merge: mergeK }));
  outputs.push({ name: 'merged', value: merge.apply(tokensOut) }); // [B, S·(G/k)², D]
}
const session = await Session.create(emitModel(g, { outputs }));
const weights = Object.fromEntries([...g.params.keys()].map((p) => [p, params.get(p)!]));
const d = cfg.core.dim;
const rows: Float32Array[] = []; // one [T, D] block per image or video
const mergedRows: Float32Array[] = []; // one [S·(G/k)², D] block per video (learned merge only)
const split1 = (t: { shape: readonly number[]; data: unknown }, into: Float32Array[]) => {
  const per = t.shape[1]! * d;
  for (let b = 0; b < t.shape[0]!; b++) into.push((t.data as Float32Array).slice(b * per, (b + 1) * per));
};
for (let i = 0; i < examples.length; i += 32) {
  const out = await session.run({ ...weights, [media]: stackMedia(examples.slice(i, i + 32), media, cfg) });
  split1(out.tokens!, rows);
  if (learnedMerge) split1(out.merged!, mergedRows);
}
await session.release();
const split = Math.floor(examples.length * 0.8);

/** One probe sample: a feature vector [D] of image (or video) `item` and its class. */
interface Sample {
  item: number;
  x: Float32Array;
  label: number;
}

/** A ridge probe from features to a class ∈ [0, k), fitted on the samples of items [0, split); returns the predicted class of a sample. */
function fit(samples: readonly Sample[], k: number): (s: Sample) => number {
  const p = d + 1; // features and a bias
  const xtx = new Float64Array(p * p);
  const xty = new Float64Array(p * k);
  const x = new Float64Array(p);
  for (const s of samples.filter((s) => s.item < split)) {
    x.set(s.x);
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
  return ({ x: f }) => {
    let best = 0;
    let bestScore = -Infinity;
    for (let c = 0; c < k; c++) {
      let score = w[d * k + c]!;
      for (let j = 0; j < d; j++) score += f[j]! * w[j * k + c]!;
      if (score > bestScore) [best, bestScore] = [c, score];
    }
    return best;
  };
}

/** The test samples (items [split, …)). */
const held = <S extends Sample>(samples: readonly S[]) => samples.filter((s) => s.item >= split);
/** Share of `test` that `predict` gets right. */
const accuracy = (predict: (s: Sample) => number, test: readonly Sample[]) => test.filter((s) => predict(s) === s.label).length / test.length;
/** Accuracy of a probe fitted on the samples of items [0, split), tested on the rest. */
const probe = (samples: readonly Sample[], k: number) => accuracy(fit(samples, k), held(samples));

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

/** Token t of item i's block (D features each). */
const tokenOf = (block: Float32Array, t: number) => block.subarray(t * d, (t + 1) * d);
/** The element-wise mean of vectors [D]. */
const mean = (xs: readonly Float32Array[]) => {
  const out = new Float32Array(d);
  for (const x of xs) for (let j = 0; j < d; j++) out[j] += x[j]! / xs.length;
  return out;
};
const slice = (t: number) => Math.floor(t / grid);
const row = (t: number) => Math.floor((t % grid) / side);
const col = (t: number) => t % side;
const everyToken = (label: (t: number) => number): Sample[] => rows.flatMap((block, item) => Array.from({ length: tokens }, (_, t) => ({ item, x: tokenOf(block, t), label: label(t) })));
const what = video ? `videos, ${tokens} tokens each (${slices} time slice${slices > 1 ? 's' : ''} × ${side}×${side})` : `images, ${tokens} tokens each (${side}×${side})`;
console.log(`${values.from}: ${rows.length} test ${what}, probe fitted on ${split}`);
const chance = (k: number) => `(chance ${(1 / k).toFixed(3)})`;
const timeProbe = video && slices > 1 ? `time slice ${probe(everyToken(slice), slices).toFixed(3)} ${chance(slices)}, ` : '';
console.log(`${timeProbe}patch row ${probe(everyToken(row), side).toFixed(3)}, column ${probe(everyToken(col), side).toFixed(3)} ${chance(side)}`);
if (!video) console.log(`2×2-merged row ${probe(everyToken((t) => Math.floor(row(t) / 2)), side / 2).toFixed(3)}, column ${probe(everyToken((t) => Math.floor(col(t) / 2)), side / 2).toFixed(3)} ${chance(side / 2)}`);

// The object at a token: a feature vector per object (and time slice) → the object's attributes.
const scenes = new Map(readSynthScenes(values.data!).map((sc) => [sc.id, sc]));
/** An object of item `item`, its feature vector and which time slice it comes from (−1: none). */
interface ObjectSample {
  item: number;
  x: Float32Array;
  o: SceneObject;
  slice: number;
}
const ATTRIBUTES = {
  motion: [DIRECTIONS, (o: SceneObject) => o.motion],
  shape: [SHAPES, (o: SceneObject) => o.shape],
  colour: [COLOURS, (o: SceneObject) => o.colour],
  size: [SIZES, (o: SceneObject) => o.size],
} as const satisfies Record<string, readonly [readonly string[], (o: SceneObject) => string]>;
type Attribute = keyof typeof ATTRIBUTES;
/** Per attribute: the probe's test accuracy "(majority …)" and, for objects with time slices, its accuracy per slice. */
function attributes(objects: readonly ObjectSample[], names: readonly Attribute[]): { name: Attribute; cell: string; perSlice: number[] }[] {
  return names.map((name) => {
    const [values, pick] = ATTRIBUTES[name];
    const samples = objects.map((s) => ({ ...s, label: (values as readonly string[]).indexOf(pick(s.o)) }));
    const test = held(samples);
    const counts = values.map((_, c) => test.filter((s) => s.label === c).length);
    const predict = fit(samples, values.length);
    const perSlice = Array.from({ length: slices }, (_, t) => test.filter((s) => s.slice === t)).filter((ss) => ss.length > 0).map((ss) => accuracy(predict, ss));
    return { name, cell: `${accuracy(predict, test).toFixed(3)} (majority ${(Math.max(...counts) / test.length).toFixed(3)})`, perSlice };
  });
}
/** The grid cell (clamped) of a coordinate in [0, 1]. */
const cell = (v: number, cells = side) => Math.min(cells - 1, Math.max(0, Math.floor(v * cells)));
const objectsOf = (item: number) => scenes.get(examples[item]!.id.split('-')[0]!)!.objects;

if (!video) {
  const objects = rows.flatMap((block, item) => objectsOf(item).map((o) => ({ item, x: tokenOf(block, cell(o.y) * side + cell(o.x)), o, slice: -1 })));
  const cells = attributes(objects, ['shape', 'colour', 'size']).map((a) => `${a.name} ${a.cell}`);
  console.log(`${objects.length} objects; at its centre token: ${cells.join(', ')}`);
} else {
  // Each object's centre at the middle frame of each tubelet → its row and column there.
  const tf = cfg.video.tubeletFrames;
  const centres = rows.map((_, item) =>
    objectsOf(item).map((o) =>
      Array.from({ length: slices }, (_, t) => {
        const [cx, cy] = positionAt(o, frameTime(t * tf + (tf - 1) / 2, cfg.video.videoFrames));
        return { r: cell(cy), c: cell(cx) };
      }),
    ),
  );
  const perObject = (x: (block: Float32Array, t: number, at: { r: number; c: number }, item: number) => Float32Array): ObjectSample[] =>
    rows.flatMap((block, item) => objectsOf(item).flatMap((o, i) => centres[item]![i]!.map((at, t) => ({ item, x: x(block, t, at, item), o, slice: t }))));
  const centre = perObject((block, t, { r, c }) => tokenOf(block, t * grid + r * side + c));
  const names: Attribute[] = ['motion', 'shape', 'colour', 'size'];
  const table: [string, ReturnType<typeof attributes>][] = [[slices > 1 ? `centre token, each of ${slices} slices` : 'centre token (the one time slice)', attributes(centre, names)]];
  if (slices > 1) {
    // perObject lists each object's slices one after another.
    const averaged = Array.from({ length: centre.length / slices }, (_, k) => {
      const own = centre.slice(k * slices, (k + 1) * slices);
      return { item: own[0]!.item, o: own[0]!.o, slice: -1, x: mean(own.map((s) => s.x)) };
    });
    table.push([`mean of its ${slices} centre tokens`, attributes(averaged, names)]);
  }
  if (mergeK > 1) {
    const m = side / mergeK;
    const block = (b: Float32Array, t: number, r: number, c: number) =>
      mean(Array.from({ length: mergeK * mergeK }, (_, j) => tokenOf(b, t * grid + (r * mergeK + Math.floor(j / mergeK)) * side + c * mergeK + (j % mergeK))));
    table.push([`${mergeK}×${mergeK} block mean`, attributes(perObject((b, t, { r, c }) => block(b, t, Math.floor(r / mergeK), Math.floor(c / mergeK))), names)]);
    if (learnedMerge) {
      const learned = perObject((_, t, { r, c }, item) => tokenOf(mergedRows[item]!, t * m * m + Math.floor(r / mergeK) * m + Math.floor(c / mergeK)));
      table.push([`${mergeK}×${mergeK} fusion.merge_video`, attributes(learned, names)]);
    } else table.push([`${mergeK}×${mergeK} fusion.merge_video: not in this checkpoint`, []]);
  }
  const heldObjects = centre.filter((s) => s.slice === 0 && s.item >= split).length;
  console.log(`${centre.length / slices} objects (${heldObjects} held out); accuracy (majority class of the held-out objects):`);
  const width = Math.max(...table.map(([label]) => label.length));
  console.log(['', ...names].map((h, i) => (i === 0 ? h.padEnd(width) : h.padEnd(24))).join('  ').trimEnd());
  for (const [label, as] of table) {
    console.log([label.padEnd(width), ...as.map((a) => a.cell.padEnd(24))].join('  ').trimEnd());
    if (as[0] && as[0].perSlice.length > 1) console.log(['  per slice'.padEnd(width), ...as.map((a) => a.perSlice.map((v) => v.toFixed(2)).join(' ').padEnd(24))].join('  ').trimEnd());
  }
}
