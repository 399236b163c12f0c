/**
 * Question answering: exact match of the greedy answer to the reference
 * (both normalised: lowercase, trimmed, whitespace collapsed), overall and by
 * the question's media signature ('image', 'audio', 'video', 'image+audio', …).
 * Inputs are the media plus the question as the text modality.
 */
import type { BpeTokenizer } from '../../data/tokenizer/tokenizer.js';
import type { DatasetExample } from '../dataset.js';
import { mediaSignature, normalizeText, signatureKey, type EvalRuntime } from './eval-runtime.js';
import { generateAnswers, type GenerateAnswersOptions } from './generate-answers.js';

export interface AccuracyCell {
  count: number;
  correct: number;
  /** correct / count (0 when count is 0). */
  accuracy: number;
}

/** One generated output next to its reference (for reading the report). */
export interface GenerationSample {
  id: string;
  /** The question (QA) or absent (captioning). */
  input?: string;
  reference: string;
  prediction: string;
}

export interface QaReport extends AccuracyCell {
  byModality: Record<string, AccuracyCell>;
  /** The first few outputs of each media signature. */
  samples: GenerationSample[];
}

/** Samples kept per signature key. */
export const SAMPLES_PER_KEY = 2;

/** Examples QA evaluates: a question, an answer, and the question's tokens. */
export function qaExamples(examples: readonly DatasetExample[]): DatasetExample[] {
  return examples.filter((ex) => ex.question !== undefined && ex.answer !== undefined && (ex.prompt?.length ?? 0) > 0);
}

const cell = (count: number, correct: number): AccuracyCell => ({ count, correct, accuracy: count > 0 ? correct / count : 0 });

export async function evaluateQa(runtime: EvalRuntime, tok: BpeTokenizer, examples: readonly DatasetExample[], o: GenerateAnswersOptions): Promise<QaReport> {
  const qa = qaExamples(examples);
  const predictions = await generateAnswers(runtime, tok, qa, 'prompt', o);
  const by: Record<string, { count: number; correct: number }> = {};
  const samples: GenerationSample[] = [];
  let correct = 0;
  qa.forEach((ex, i) => {
    const key = signatureKey(mediaSignature(ex));
    const c = (by[key] ??= { count: 0, correct: 0 });
    const ok = normalizeText(predictions[i]!) === normalizeText(ex.answer!);
    c.count++;
    if (ok) {
      c.correct++;
      correct++;
    }
    if (c.count <= SAMPLES_PER_KEY) samples.push({ id: ex.id, input: ex.question, reference: ex.answer!, prediction: predictions[i]! });
  });
  const byModality = Object.fromEntries(Object.entries(by).map(([k, v]) => [k, cell(v.count, v.correct)]));
  return { ...cell(qa.length, correct), byModality, samples };
}
