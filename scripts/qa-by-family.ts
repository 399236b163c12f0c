/**
 * Question answering on the synthetic world, broken down by question family,
 * with the media of each question swapped for another scene's as a control:
 * where the two accuracies match, the model answers from the question alone.
 *
 *   npx tsx scripts/qa-by-family.ts [--model models/mm-small-synth] [--data data/synth-demo/manifest.jsonl] [--split test] [--media image,audio,video]
 *
 * Families are recognised from the question wording of src/data/synth/questions.ts.
 */
import { parseArgs } from 'node:util';
import { loadModelFolder } from '../src/train/model-folder.js';
import { ModelRuntime } from '../src/model/model-runtime.js';
import type { Split } from '../src/data/manifest.js';
import { loadDataset, type DatasetExample } from '../src/train/dataset.js';
import { generateAnswers } from '../src/train/evaluate/generate-answers.js';
import { qaExamples } from '../src/train/evaluate/qa.js';
import { normalizeText } from '../src/train/evaluate/eval-runtime.js';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'models/mm-small-synth' },
    data: { type: 'string', default: 'data/synth-demo/manifest.jsonl' },
    split: { type: 'string', default: 'test' },
    media: { type: 'string', default: 'image,audio,video' },
  },
});

/** Question family from the synthetic world's wording (order matters: first match wins). */
const FAMILIES: [RegExp, string][] = [
  [/^what colour/, 'colour'],
  [/^what shape/, 'shape'],
  [/^what size/, 'size'],
  [/^how many objects are/, 'count'],
  [/^how many objects move/, 'count-moving'],
  [/^how many \w+ objects/, 'count-colour'],
  [/^how many/, 'count-shape'],
  [/^is there/, 'exists'],
  [/^what is left/, 'left-of'],
  [/^what is right/, 'right-of'],
  [/^is .* (left|right) of/, 'relation'],
  [/^which way/, 'direction'],
  [/^does/, 'moves'],
  [/^which object moves/, 'which-moves'],
];
const familyOf = (q: string) => FAMILIES.find(([r]) => r.test(q))?.[1] ?? 'other';
const ALL_MEDIA = ['image', 'audio', 'video'] as const;
const MEDIA = values.media!.split(',').map((m) => {
  const media = ALL_MEDIA.find((k) => k === m.trim());
  if (!media) throw new Error(`--media: '${m}' is not one of ${ALL_MEDIA.join(', ')}`);
  return media;
});

const folder = await loadModelFolder(values.model!);
const runtime = new ModelRuntime(folder.cfg, folder.params);
try {
  const { examples } = await loadDataset(values.data!, folder.cfg, folder.tokenizer, { split: values.split as Split });
  const rows: string[] = [];
  for (const media of MEDIA) {
    const qa = qaExamples(examples).filter((e) => e[media] !== undefined);
    if (qa.length < 2) continue;
    // The control: each question with the media of the question 7 places on (another scene).
    const swapped: DatasetExample[] = qa.map((e, i) => ({ ...e, [media]: qa[(i + 7) % qa.length]![media] }));
    const real = await generateAnswers(runtime, folder.tokenizer, qa, 'prompt', { batch: 32 });
    const control = await generateAnswers(runtime, folder.tokenizer, swapped, 'prompt', { batch: 32 });
    const cells = new Map<string, { n: number; real: number; control: number }>();
    qa.forEach((e, i) => {
      const c = cells.get(familyOf(e.question!)) ?? { n: 0, real: 0, control: 0 };
      cells.set(familyOf(e.question!), c);
      const ok = (p: string) => normalizeText(p) === normalizeText(e.answer!);
      c.n++;
      if (ok(real[i]!)) c.real++;
      if (ok(control[i]!)) c.control++;
    });
    for (const [family, c] of [...cells].sort()) {
      rows.push(`${media.padEnd(6)} ${family.padEnd(13)} ${String(c.n).padStart(5)} ${((100 * c.real) / c.n).toFixed(1).padStart(7)}% ${((100 * c.control) / c.n).toFixed(1).padStart(7)}%`);
    }
  }
  console.log(`media  family        count  accuracy  with another scene's media`);
  console.log(rows.join('\n'));
} finally {
  await runtime.release();
}
