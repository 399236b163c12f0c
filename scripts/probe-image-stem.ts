/**
 * How fast an image encoder learns to see shapes: trains mm-small's image
 * encoder plus a linear probe, from scratch, to tell which of circle /
 * square / triangle a synthetic scene contains (three yes/no labels), and
 * prints validation accuracy as it goes. Compares the pixel stems of
 * configs/models (the patch projection vs the conv stem, see
 * src/nn/conv-stem.ts); the numbers are in BENCHMARKS.md.
 *
 *   npx tsx scripts/probe-image-stem.ts [--stem patch|conv] [--steps N] [--data DIR]
 *                                       [--from MODEL_DIR] [--labels shapes|colour-shapes]
 *
 * --from probes a trained model's image encoder instead, kept fixed: what its
 * pooled vector already tells. --labels colour-shapes asks for each of the 12
 * colour–shape pairs whether the scene has one (colour bound to shape).
 *
 * DIR is a `mixmodal data synth` folder (default data/synth-demo, which
 * `npm run train:demo` writes); its scenes.jsonl gives the labels.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadImage } from '../src/data/media/image.js';
import { COLOURS, SHAPES } from '../src/data/synth/vocab.js';
import { loadModelConfig } from '../src/model/config.js';
import { ImageEncoder } from '../src/model/encoders/index.js';
import { loadWeights } from '../src/train/model-folder.js';
import { containsLabels, readSynthScenes, runLinearProbe, type ObjectKind, type ProbeRow, type SynthScene } from './linear-probe.js';

const { values } = parseArgs({
  options: {
    stem: { type: 'string', default: 'conv' },
    steps: { type: 'string', default: '800' },
    data: { type: 'string', default: 'data/synth-demo' },
    from: { type: 'string' },
    labels: { type: 'string', default: 'shapes' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  console.log('npx tsx scripts/probe-image-stem.ts [--stem patch|conv] [--steps N] [--data DIR] [--from MODEL_DIR] [--labels shapes|colour-shapes]');
  process.exit(0);
}
if (values.labels !== 'shapes' && values.labels !== 'colour-shapes') throw new Error(`--labels must be shapes or colour-shapes, got '${values.labels}'`);
if (values.stem !== 'patch' && values.stem !== 'conv') throw new Error(`--stem must be patch or conv, got '${values.stem}'`);
const steps = Number(values.steps);
if (!Number.isInteger(steps) || steps < 1) throw new Error(`--steps must be a positive integer, got '${values.steps}'`);

// --from: the image encoder of a trained model (a model folder, or a run folder even after stages 1–2 only), kept
// fixed: only the probe learns.
const cfg = loadModelConfig(values.from ? join(values.from, 'config.json') : 'mm-small');
const trained = values.from ? (await loadWeights(values.from, cfg)).params : undefined;
const imageCfg = trained ? cfg.image : { ...cfg.image, stem: values.stem as 'patch' | 'conv' };
const size = imageCfg.imageSize;

const scenes = readSynthScenes(values.data!);
// Labels: 1 when the scene has a SHAPES[i] (shapes), or a COLOURS[j] SHAPES[i] (colour-shapes: 12 labels, which need colour bound to shape).
const kinds: ObjectKind[] = values.labels === 'shapes' ? SHAPES.map((shape) => ({ shape })) : SHAPES.flatMap((shape) => COLOURS.map((colour) => ({ shape, colour })));
const label = async (s: SynthScene): Promise<ProbeRow> => ({
  input: await loadImage(join(values.data!, 'img', `${s.id}.png`), size),
  labels: containsLabels(s, kinds),
});
await runLinearProbe({
  title: values.from ? `fixed image encoder of ${values.from}, labels ${values.labels}` : `stem ${values.stem}, labels ${values.labels}`,
  init: trained,
  frozen: trained ? (path) => path.startsWith('encoders.') : undefined,
  inputShape: [3, size, size],
  encode: (g, input) => new ImageEncoder(g, 'image', imageCfg).apply(input).pooled,
  dim: cfg.core.dim,
  train: await Promise.all(scenes.filter((s) => s.split === 'train').map(label)),
  val: await Promise.all(scenes.filter((s) => s.split === 'val').map(label)),
  steps,
});
