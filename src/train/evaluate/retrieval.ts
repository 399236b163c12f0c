/**
 * Cross-modal retrieval: Recall@1 / Recall@5 in both directions for every
 * pair of modalities a split offers (text = an example's pair text; image,
 * audio, video). The candidates of a pair are the split's examples holding
 * both modalities, one per scene group (the first such example), so a scene
 * is one candidate; query i's correct candidate is the one of its group.
 * Embeddings come from the per-modality towers (encoders + projection heads),
 * each distinct text or media file embedded once, in batches; similarity is
 * the dot product of unit vectors (cosine).
 */
import type { BpeTokenizer } from '../../data/tokenizer/tokenizer.js';
import { MODALITIES, type Modality } from '../../model/modalities.js';
import { modelFeeds } from '../batches.js';
import type { DatasetExample } from '../dataset.js';
import { chunk, hasModality, type EmbeddingModel } from './eval-runtime.js';

/** One direction of one pair: queries of `query` looking for their `target`. */
export interface RetrievalDirection {
  query: Modality;
  target: Modality;
  /** Candidates N (= queries). */
  candidates: number;
  recallAt1: number;
  recallAt5: number;
  /** Median 1-based rank of the correct candidate. */
  medianRank: number;
}

export interface RetrievalReport {
  /** Both directions of every pair with ≥ 1 candidate, pairs in MODALITIES order. */
  directions: RetrievalDirection[];
  /** Distinct items embedded per modality. */
  embedded: Partial<Record<Modality, number>>;
}

/** What to embed and compare: each pair's candidates and the distinct items per modality. */
export interface RetrievalPlan {
  pairs: Array<{ a: Modality; b: Modality; candidates: DatasetExample[] }>;
  /** Per modality: item key → an example that holds it. */
  items: Map<Modality, Map<string, DatasetExample>>;
}

/** Identity of an example's item of modality m: the pair text's tokens, or the media file. */
export function itemKey(ex: DatasetExample, m: Modality): string {
  return m === 'text' ? `text:${ex.pairText!.join(',')}` : `${m}:${ex.files[m] ?? `${ex.id}`}`;
}

export function planRetrieval(examples: readonly DatasetExample[]): RetrievalPlan {
  const pairs: RetrievalPlan['pairs'] = [];
  const items = new Map<Modality, Map<string, DatasetExample>>();
  MODALITIES.forEach((a, i) => {
    for (const b of MODALITIES.slice(i + 1)) {
      const byGroup = new Map<string, DatasetExample>();
      for (const ex of examples) if (hasModality(ex, a) && hasModality(ex, b) && !byGroup.has(ex.group)) byGroup.set(ex.group, ex);
      if (byGroup.size === 0) continue;
      const candidates = [...byGroup.values()];
      pairs.push({ a, b, candidates });
      for (const m of [a, b]) {
        let map = items.get(m);
        if (!map) items.set(m, (map = new Map()));
        for (const ex of candidates) if (!map.has(itemKey(ex, m))) map.set(itemKey(ex, m), ex);
      }
    }
  });
  return { pairs, items };
}

/** Number of embedding rows a plan computes (for progress totals). */
export function retrievalWork(plan: RetrievalPlan): number {
  let n = 0;
  for (const map of plan.items.values()) n += map.size;
  return n;
}

/** Rows of a [B, E] embedding scaled to unit length. */
function unitRows(data: Float32Array, rows: number): Float32Array[] {
  const e = data.length / rows;
  return Array.from({ length: rows }, (_, r) => {
    const v = data.slice(r * e, (r + 1) * e);
    let sq = 0;
    for (let j = 0; j < e; j++) sq += v[j]! * v[j]!;
    const norm = Math.sqrt(sq) || 1;
    for (let j = 0; j < e; j++) v[j]! /= norm;
    return v;
  });
}

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/**
 * 1-based rank of each query's correct target (target i for query i) among
 * all targets by similarity. Ties count against the query (a candidate
 * scoring equal to the correct one ranks ahead of it), so collapsed
 * embeddings cannot look good.
 */
export function retrievalRanks(queries: readonly Float32Array[], targets: readonly Float32Array[]): number[] {
  if (queries.length !== targets.length) throw new Error(`retrievalRanks: ${queries.length} queries but ${targets.length} targets`);
  return queries.map((q, i) => {
    const correct = dot(q, targets[i]!);
    let rank = 1;
    targets.forEach((t, j) => {
      if (j !== i && dot(q, t) >= correct) rank++;
    });
    return rank;
  });
}

/** Recall@k, median rank from ranks. */
export function summariseRanks(ranks: readonly number[]): { recallAt1: number; recallAt5: number; medianRank: number } {
  const n = ranks.length;
  const sorted = [...ranks].sort((a, b) => a - b);
  const median = n === 0 ? 0 : n % 2 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
  return {
    recallAt1: n ? ranks.filter((r) => r <= 1).length / n : 0,
    recallAt5: n ? ranks.filter((r) => r <= 5).length / n : 0,
    medianRank: median,
  };
}

/** Embeds every item of the plan (o.batch rows per run) and scores every pair in both directions. */
export async function evaluateRetrieval(
  model: EmbeddingModel,
  tok: BpeTokenizer,
  plan: RetrievalPlan,
  o: { batch: number; onEmbedded?: (rows: number) => void },
): Promise<RetrievalReport> {
  const vectors = new Map<string, Float32Array>();
  const embedded: RetrievalReport['embedded'] = {};
  for (const [m, map] of plan.items) {
    const entries = [...map.entries()];
    for (const part of chunk(entries, o.batch)) {
      const exs = part.map(([, ex]) => ex);
      const out = await model.embed([m], modelFeeds(exs, [m], model.cfg, tok, 'pair'));
      const emb = out[`embedding.${m}`];
      if (!emb) throw new Error(`the embedding model returned no 'embedding.${m}'`);
      unitRows(emb.data as Float32Array, exs.length).forEach((v, r) => vectors.set(part[r]![0], v)); // [B, E] rows
      o.onEmbedded?.(exs.length);
    }
    embedded[m] = map.size;
  }
  const directions: RetrievalDirection[] = [];
  for (const { a, b, candidates } of plan.pairs) {
    const side = (m: Modality) => candidates.map((ex) => vectors.get(itemKey(ex, m))!);
    const [va, vb] = [side(a), side(b)];
    directions.push({ query: a, target: b, candidates: candidates.length, ...summariseRanks(retrievalRanks(va, vb)) });
    directions.push({ query: b, target: a, candidates: candidates.length, ...summariseRanks(retrievalRanks(vb, va)) });
  }
  return { directions, embedded };
}
