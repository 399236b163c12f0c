/**
 * What the model says to "which object moves <direction>?" on the synthetic
 * world, against the scene's ground truth: the exact mover, another object of
 * the scene, or an object the scene does not have — and then which of the
 * mover's size, colour and shape the answer got right — plus the shapes it
 * names against the mover's shape. Reads the same data as qa-by-family.ts.
 *
 *   npx tsx scripts/which-moves-errors.ts [--model models/mm-small-synth] [--data data/synth-demo] [--split test]
 *
 * DIR is a `mixmodal data synth` folder (its manifest.jsonl and scenes.jsonl).
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Split } from '../src/data/manifest.js';
import { ModelRuntime } from '../src/model/model-runtime.js';
import { loadDataset } from '../src/train/dataset.js';
import { generateAnswers } from '../src/train/evaluate/generate-answers.js';
import { qaExamples } from '../src/train/evaluate/qa.js';
import { loadModelFolder } from '../src/train/model-folder.js';
import { readSynthScenes, type SynthScene } from './linear-probe.js';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'models/mm-small-synth' },
    data: { type: 'string', default: 'data/synth-demo' },
    split: { type: 'string', default: 'test' },
  },
});

type SceneObject = SynthScene['objects'][number];
const scenes = new Map(readSynthScenes(values.data!).map((s) => [s.id, s]));
const folder = await loadModelFolder(values.model!);
const runtime = new ModelRuntime(folder.cfg, folder.params);
try {
  const { examples } = await loadDataset(join(values.data!, 'manifest.jsonl'), folder.cfg, folder.tokenizer, { split: values.split as Split });
  const qa = qaExamples(examples).filter((e) => e.video !== undefined && /^which object moves/.test(e.question!));
  if (qa.length === 0) throw new Error(`no "which object moves …?" questions in the ${values.split} split of ${values.data}`);
  const answers = await generateAnswers(runtime, folder.tokenizer, qa, 'prompt', { batch: 32 });
  const counts = new Map<string, number>();
  const add = (k: string) => counts.set(k, (counts.get(k) ?? 0) + 1);
  qa.forEach((e, i) => {
    const scene = scenes.get(e.id.split('-')[0]!);
    if (!scene) throw new Error(`${e.id}: its scene is not in ${values.data}/scenes.jsonl`);
    const direction = /moves (\w+)/.exec(e.question!)![1];
    const mover = scene.objects.find((o) => o.motion === direction)!;
    const [size, colour, shape] = answers[i]!.trim().replace(/^an? /, '').split(/\s+/);
    const is = (o: SceneObject) => o.size === size && o.colour === colour && o.shape === shape;
    if (is(mover)) add('the mover');
    else if (scene.objects.some(is)) add('another object of the scene');
    else {
      add('no object of the scene');
      for (const f of ['size', 'colour', 'shape'] as const) if (mover[f] === { size, colour, shape }[f]) add(`  … with the mover's ${f}`);
    }
    add(`named shape ${shape ?? '(none)'}, mover's ${mover.shape}`);
  });
  console.log(`"which object moves …?": ${qa.length} questions (${values.split} split)`);
  for (const [k, n] of [...counts].sort()) console.log(`${k.padEnd(44)} ${String(n).padStart(5)}  ${((100 * n) / qa.length).toFixed(1).padStart(5)}%`);
} finally {
  await runtime.release();
}
