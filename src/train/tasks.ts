/**
 * What each stage trains on, derived from the examples: stage 1 — every
 * distinct text (language modelling) and every distinct image, audio clip and
 * video (masked reconstruction); stage 2 — every example with two or more of
 * text / image / audio / video (contrastive pairs); stage 3 — every example
 * with a target (answer or caption). Samples are grouped by task, so a batch
 * has one modality signature and one graph.
 */
import type { Modality } from '../model/modalities.js';
import type { DatasetExample } from './dataset.js';
import { taskId, type Stage, type TaskKey } from './objectives/objective.js';

/** One training sample: an example, or for language modelling a token sequence. */
export interface Sample {
  example?: DatasetExample;
  tokens?: number[];
}

export interface TaskGroup {
  key: TaskKey;
  samples: Sample[];
}

const MEDIA = ['image', 'audio', 'video'] as const;

/** Modalities an example offers as inputs: its pair text (stage 2) or prompt (stage 3), and its media. */
export function exampleSignature(ex: DatasetExample, text: 'pair' | 'prompt'): Modality[] {
  const sig: Modality[] = [];
  if (text === 'pair' ? ex.pairText : ex.prompt) sig.push('text');
  for (const m of MEDIA) if (ex[m]) sig.push(m);
  return sig;
}

/** The task groups of `stage`, in a deterministic order. */
export function stageTasks(stage: Stage, examples: readonly DatasetExample[]): TaskGroup[] {
  const groups = new Map<string, TaskGroup>();
  const add = (key: TaskKey, s: Sample) => {
    const id = taskId(key);
    let g = groups.get(id);
    if (!g) groups.set(id, (g = { key, samples: [] }));
    g.samples.push(s);
  };
  if (stage === 1) {
    const texts = new Set<string>();
    const media = new Set<string>();
    for (const ex of examples) {
      for (const t of [ex.pairText, ex.prompt, ex.target]) {
        if (t && t.length > 0 && !texts.has(t.join(','))) {
          texts.add(t.join(','));
          add({ stage, task: 'lm', signature: ['text'] }, { tokens: t });
        }
      }
      for (const m of MEDIA) {
        const file = ex.files[m];
        if (ex[m] && file && !media.has(`${m}:${file}`)) {
          media.add(`${m}:${file}`);
          add({ stage, task: 'masked', signature: [m] }, { example: ex });
        }
      }
    }
  } else if (stage === 2) {
    for (const ex of examples) {
      const sig = exampleSignature(ex, 'pair');
      if (sig.length >= 2) add({ stage, task: 'contrastive', signature: sig }, { example: ex });
    }
  } else {
    for (const ex of examples) {
      const sig = exampleSignature(ex, 'prompt');
      if (ex.target && sig.length >= 1) add({ stage, task: 'instruct', signature: sig }, { example: ex });
    }
  }
  return [...groups.values()].sort((a, b) => (taskId(a.key) < taskId(b.key) ? -1 : 1));
}
