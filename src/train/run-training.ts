/**
 * A whole training run from a manifest: tokenizer (loaded, or trained on the
 * training texts and saved in the run folder), datasets, the Trainer, and the
 * run folder's files (config.json, tokenizer.json, checkpoint, metrics).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../runtime/atomic-write.js';
import { loadTokenizer, readManifestTexts, saveTokenizer, trainBpe, type BpeTokenizer } from '../data/tokenizer/index.js';
import { validateModelConfig, type ModelConfig } from '../model/config.js';
import { loadDataset, type DatasetExample } from './dataset.js';
import type { Stage } from './objectives/objective.js';
import { Trainer, type StepInfo, type TrainerOptions, type TrainResult } from './trainer.js';

export interface RunTrainingOptions extends Omit<TrainerOptions, 'resume'> {
  /** Raw model config JSON (validated here; saved as config.json). */
  rawConfig: unknown;
  /** JSON Lines manifest. */
  data: string;
  /** Run folder. */
  out: string;
  /** Tokenizer file to use; default: the run's tokenizer.json, or one trained on the data. */
  tokenizer?: string;
  resume?: boolean;
  skipBad?: boolean;
  /** Use at most this many examples per split (quick runs). */
  limit?: number;
}

export interface RunTrainingHooks {
  onLoad?: (what: string, done: number) => void;
  onStep?: (s: StepInfo) => void;
  onEval?: (stage: Stage, step: number, val: Record<string, number>) => void;
  onLog?: (line: string) => void;
  /** Receives the trainer once it exists (e.g. to interrupt it on Ctrl-C). */
  onTrainer?: (t: Trainer) => void;
}

export interface RunTrainingResult extends TrainResult {
  cfg: ModelConfig;
  tokenizer: BpeTokenizer;
  data: { train: DatasetExample[]; val: DatasetExample[] };
  seconds: number;
}

export async function runTraining(o: RunTrainingOptions, hooks: RunTrainingHooks = {}): Promise<RunTrainingResult> {
  const t0 = performance.now();
  const cfg = validateModelConfig(o.rawConfig);
  mkdirSync(o.out, { recursive: true });
  const runTokenizer = join(o.out, 'tokenizer.json');
  let tokenizer: BpeTokenizer;
  if (o.tokenizer) tokenizer = await loadTokenizer(o.tokenizer);
  else if (existsSync(runTokenizer)) tokenizer = await loadTokenizer(runTokenizer);
  else {
    hooks.onLog?.(`training a ${cfg.core.vocabSize}-token tokenizer on the training texts`);
    tokenizer = await trainBpe(readManifestTexts(o.data, { split: 'train' }), { vocabSize: cfg.core.vocabSize });
  }
  if (!existsSync(runTokenizer)) await saveTokenizer(runTokenizer, tokenizer);
  await writeFileAtomic(join(o.out, 'config.json'), new TextEncoder().encode(`${JSON.stringify(o.rawConfig, null, 2)}\n`));

  const load = async (split: 'train' | 'val') => {
    const r = await loadDataset(o.data, cfg, tokenizer, { split, skipBad: o.skipBad, limit: o.limit, onProgress: (n) => hooks.onLoad?.(split, n) });
    if (r.report.skipped > 0) hooks.onLog?.(r.summary);
    return r.examples;
  };
  const data = { train: await load('train'), val: await load('val') };
  if (data.train.length === 0) throw new Error(`${o.data} has no training examples`);
  const trainer = new Trainer(cfg, tokenizer, data, o.out, { ...o, resume: o.resume }, hooks);
  hooks.onTrainer?.(trainer);
  const result = await trainer.run();
  return { ...result, cfg, tokenizer, data, seconds: (performance.now() - t0) / 1000 };
}
