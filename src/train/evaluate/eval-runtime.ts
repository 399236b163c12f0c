/**
 * The seam between evaluation and a model: the few ModelRuntime methods the
 * evaluators call (a ModelRuntime satisfies it as is; unit tests pass small
 * fakes), and helpers shared by the evaluators.
 */
import type { BpeTokenizer } from '../../data/tokenizer/tokenizer.js';
import type { HostTensor } from '../../graph/host-tensor.js';
import type { ModelConfig } from '../../model/config.js';
import type { GenerateOptions } from '../../model/generation.js';
import type { Modality } from '../../model/modalities.js';
import type { DatasetExample } from '../dataset.js';

/** What retrieval needs: per-modality embeddings `embedding.<m>` [B, E] (encoders + heads only). */
export interface EmbeddingModel {
  readonly cfg: ModelConfig;
  embed(signature: readonly Modality[], feeds: Record<string, HostTensor>): Promise<Record<string, HostTensor>>;
}

/** The decoder loop: continues each prompt conditioned on memory [B, S, D] and its mask [B, S]. */
export interface TextGenerator {
  generate(memory: HostTensor, memoryMask: HostTensor, prompts: number[][], o?: GenerateOptions): Promise<number[][]>;
}

/** What the whole evaluation needs (ModelRuntime implements it). */
export interface EvalRuntime extends EmbeddingModel {
  /** The encode graph: `fused` [B, T, D], `fused_mask` [B, T], `moe.<i>.*` statistics, … */
  encode(signature: readonly Modality[], feeds: Record<string, HostTensor>): Promise<Record<string, HostTensor>>;
  generator(): Promise<TextGenerator>;
}

export const MEDIA = ['image', 'audio', 'video'] as const;

/** Whether `ex` offers modality m for retrieval (text = its pair text). */
export function hasModality(ex: DatasetExample, m: Modality): boolean {
  return m === 'text' ? (ex.pairText?.length ?? 0) > 0 : ex[m] !== undefined;
}

/** The example's media modalities, canonical order. */
export function mediaSignature(ex: DatasetExample): Modality[] {
  return MEDIA.filter((m) => ex[m] !== undefined);
}

/** Report key of a media signature: 'image', 'image+audio', …; 'text' when there are no media. */
export function signatureKey(sig: readonly Modality[]): string {
  return sig.length === 0 ? 'text' : sig.join('+');
}

/** Answer normalisation for exact match: lowercase, trimmed, runs of whitespace collapsed to one space. */
export function normalizeText(s: string): string {
  return s.toLowerCase().trim().replace(/\s+/g, ' ');
}

/** Generated ids as text: special tokens and ids past the tokenizer's vocabulary (unused model rows) are left out. */
export function decodeGenerated(tok: BpeTokenizer, ids: readonly number[]): string {
  return tok.decode(ids.filter((id) => id < tok.vocabSize), { skipSpecial: true });
}

/** `xs` cut into runs of at most n. */
export function chunk<T>(xs: readonly T[], n: number): T[][] {
  if (!(Number.isInteger(n) && n >= 1)) throw new Error(`batch size must be a positive integer, got ${n}`);
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}

/** Groups items by a string key, keeping first-seen key order and item order. */
export function groupBy<T>(xs: readonly T[], key: (x: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const x of xs) {
    const k = key(x);
    let g = out.get(k);
    if (!g) out.set(k, (g = []));
    g.push(x);
  }
  return out;
}
