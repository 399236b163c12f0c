/**
 * Captioning: for examples with a caption and no question, greedy generation
 * from the media alone (no text input); exact match (normalised) and corpus
 * BLEU-4 (./bleu.ts) on the normalised strings, overall and by media signature.
 */
import type { BpeTokenizer } from '../../data/tokenizer/tokenizer.js';
import type { DatasetExample } from '../dataset.js';
import { corpusBleu, type BleuScore } from './bleu.js';
import { mediaSignature, normalizeText, signatureKey, type EvalRuntime } from './eval-runtime.js';
import { generateAnswers, type GenerateAnswersOptions } from './generate-answers.js';
import { SAMPLES_PER_KEY, type GenerationSample } from './qa.js';

export interface CaptionCell {
  count: number;
  /** Fraction of captions reproduced exactly (after normalisation). */
  exactMatch: number;
  /** Corpus BLEU-4 in [0, 1]. */
  bleu4: number;
}

export interface CaptionReport extends CaptionCell {
  /** Details of the overall BLEU: precisions p1..p4, brevity penalty, lengths. */
  bleu: BleuScore;
  byModality: Record<string, CaptionCell>;
  samples: GenerationSample[];
}

/** Examples captioning evaluates: a caption, no question, at least one medium. */
export function captionExamples(examples: readonly DatasetExample[]): DatasetExample[] {
  return examples.filter((ex) => ex.caption !== undefined && ex.question === undefined && mediaSignature(ex).length > 0);
}

function score(hyps: string[], refs: string[]): { cell: CaptionCell; bleu: BleuScore } {
  const bleu = corpusBleu(hyps, refs);
  const exact = hyps.filter((h, i) => h === refs[i]).length;
  return { cell: { count: hyps.length, exactMatch: hyps.length ? exact / hyps.length : 0, bleu4: bleu.bleu }, bleu };
}

export async function evaluateCaptioning(runtime: EvalRuntime, tok: BpeTokenizer, examples: readonly DatasetExample[], o: GenerateAnswersOptions): Promise<CaptionReport> {
  const caps = captionExamples(examples);
  const predictions = await generateAnswers(runtime, tok, caps, 'none', o);
  const hyps = predictions.map(normalizeText);
  const refs = caps.map((ex) => normalizeText(ex.caption!));
  const keys = caps.map((ex) => signatureKey(mediaSignature(ex)));
  const byModality: Record<string, CaptionCell> = {};
  const samples: GenerationSample[] = [];
  for (const key of new Set(keys)) {
    const idx = keys.flatMap((k, i) => (k === key ? [i] : []));
    byModality[key] = score(idx.map((i) => hyps[i]!), idx.map((i) => refs[i]!)).cell;
    for (const i of idx.slice(0, SAMPLES_PER_KEY)) samples.push({ id: caps[i]!.id, reference: caps[i]!.caption!, prediction: predictions[i]! });
  }
  const all = score(hyps, refs);
  return { ...all.cell, bleu: all.bleu, byModality, samples };
}
