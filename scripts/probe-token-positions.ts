/**
 * Do a trained image encoder's output tokens still say where they are? Runs
 * the encoder of a model (or training run) folder on the test split's images
 * and fits a least-squares linear probe (ridge 1e-2, closed form) from each
 * token to its patch row and to its column (one-hot), on the first 80% of the
 * images; prints the accuracy on the rest, for the patch grid and for the
 * 2×2-merged grid the fusion sees. Chance is 1 / grid side.
 *
 *   npx tsx scripts/probe-token-positions.ts --from DIR --data SYNTH_DIR [--images N]
 *
 * DIR needs config.json, tokenizer.json and weights (a model folder, or a run
 * folder after stages 1–2).
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadTokenizer } from '../src/data/tokenizer/index.js';
import { loadModelConfig } from '../src/model/config.js';
import { ParamStore } from '../src/runtime/param-store.js';
import { loadDataset } from '../src/train/dataset.js';
import { EncoderFeatureCache } from '../src/train/encoder-features.js';
import { loadWeights } from '../src/train/model-folder.js';

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
const store = ParamStore.from((await loadWeights(values.from, cfg)).params);
const test = await loadDataset(join(values.data!, 'manifest.jsonl'), cfg, tok, { split: 'test' });
const seen = new Set<string>();
const examples = test.examples.filter((ex) => ex.image && ex.files.image && !seen.has(ex.files.image) && seen.add(ex.files.image)).slice(0, n);
const cache = new EncoderFeatureCache(cfg, store);
const d = cfg.core.dim;
const rows: Float32Array[] = []; // one [T, D] block per image
for (let i = 0; i < examples.length; i += 32) {
  const t = (await cache.feeds(examples.slice(i, i + 32), ['image'])).image_tokens!; // [b, T, D]
  const per = t.shape[1]! * d;
  for (let b = 0; b < t.shape[0]!; b++) rows.push((t.data as Float32Array).slice(b * per, (b + 1) * per));
}
await cache.release();
const side = cfg.image.imageSize / cfg.image.patchSize;
const tokens = side * side;
const split = Math.floor(examples.length * 0.8);

/** Accuracy of a ridge probe from token features to `label(t)` ∈ [0, k), fitted on images [0, split), tested on the rest. */
function probe(label: (t: number) => number, k: number): number {
  const p = d + 1; // features and a bias
  const xtx = new Float64Array(p * p);
  const xty = new Float64Array(p * k);
  const x = new Float64Array(p);
  for (let i = 0; i < split; i++) {
    for (let t = 0; t < tokens; t++) {
      for (let j = 0; j < d; j++) x[j] = rows[i]![t * d + j]!;
      x[d] = 1;
      for (let a = 0; a < p; a++) {
        for (let b = 0; b <= a; b++) xtx[a * p + b] += x[a]! * x[b]!;
        xty[a * k + label(t)] += x[a]!;
      }
    }
  }
  for (let a = 0; a < p; a++) {
    xtx[a * p + a] += 1e-2;
    for (let b = 0; b < a; b++) xtx[b * p + a] = xtx[a * p + b]!;
  }
  const w = solve(xtx, xty, p, k); // [p, k]
  let right = 0;
  let all = 0;
  for (let i = split; i < rows.length; i++) {
    for (let t = 0; t < tokens; t++) {
      let best = 0;
      let bestScore = -Infinity;
      for (let c = 0; c < k; c++) {
        let s = w[d * k + c]!;
        for (let j = 0; j < d; j++) s += rows[i]![t * d + j]! * w[j * k + c]!;
        if (s > bestScore) [best, bestScore] = [c, s];
      }
      right += best === label(t) ? 1 : 0;
      all++;
    }
  }
  return right / all;
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
console.log(`${values.from}: ${rows.length} test images, ${tokens} tokens each (${side}×${side}), probe fitted on ${split}`);
console.log(`patch row ${probe(row, side).toFixed(3)}, column ${probe(col, side).toFixed(3)} (chance ${(1 / side).toFixed(3)})`);
console.log(`2×2-merged row ${probe((t) => Math.floor(row(t) / 2), side / 2).toFixed(3)}, column ${probe((t) => Math.floor(col(t) / 2), side / 2).toFixed(3)} (chance ${(2 / side).toFixed(3)})`);
