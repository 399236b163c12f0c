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
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadImage } from '../src/data/media/image.js';
import { SHAPES } from '../src/data/synth/vocab.js';
import { loadModelConfig } from '../src/model/config.js';
import { ImageEncoder } from '../src/model/encoders/index.js';
import { readSynthScenes, runLinearProbe, type ProbeRow, type SynthScene } from './linear-probe.js';

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

const cfg = loadModelConfig('mm-small');
const imageCfg = { ...cfg.image, stem: values.stem as 'patch' | 'conv' };
const size = imageCfg.imageSize;

const scenes = readSynthScenes(values.data!);
// Labels: 1 when the scene has a SHAPES[i].
const label = async (s: SynthScene): Promise<ProbeRow> => ({
  input: await loadImage(join(values.data!, 'img', `${s.id}.png`), size),
  labels: SHAPES.map((shape) => (s.objects.some((o) => o.shape === shape) ? 1 : 0)),
});
await runLinearProbe({
  title: `stem ${values.stem}`,
  inputShape: [3, size, size],
  encode: (g, input) => new ImageEncoder(g, 'image', imageCfg).apply(input).pooled,
  dim: cfg.core.dim,
  train: await Promise.all(scenes.filter((s) => s.split === 'train').map(label)),
  val: await Promise.all(scenes.filter((s) => s.split === 'val').map(label)),
  steps,
});
