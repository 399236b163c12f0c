/**
 * Training a byte-level BPE (Sennrich et al. 2016, "Neural Machine Translation
 * of Rare Words with Subword Units", Algorithm 1), with incremental pair
 * counts as in HuggingFace tokenizers: texts are pre-tokenised and their
 * chunks counted once; then the most frequent adjacent pair is merged, only
 * the words that contain it are rewritten, and only the pair counts around
 * each merged occurrence change. A lazy max-heap picks the next pair; ties go
 * to the smaller (left id, right id), so training is deterministic and does
 * not depend on the order of the texts.
 */
import { validateConfig, type ConfigSchema } from '../../nn/config.js';
import { BinaryHeap } from './heap.js';
import { pretokenize } from './pretokenize.js';
import { BpeTokenizer, type Merge } from './tokenizer.js';
import { BYTE_OFFSET, MAX_VOCAB_SIZE, MERGE_OFFSET, MIN_VOCAB_SIZE, pairKey, unpairKey } from './vocab.js';

export interface BpeTrainConfig {
  /** Target vocabulary size, special tokens and the 256 bytes included (≥ 261). */
  vocabSize: number;
  /** Stop early when the most frequent pair occurs fewer times than this (default 2). */
  minFrequency?: number;
}

const TRAIN_SCHEMA = {
  vocabSize: { type: 'integer', min: MIN_VOCAB_SIZE, max: MAX_VOCAB_SIZE },
  minFrequency: { type: 'integer', min: 1, default: 2 },
} as const satisfies ConfigSchema<BpeTrainConfig>;

export interface BpeTrainHooks {
  /** Called after texts are counted: every 1000 texts and at the end. */
  onText?: (textsDone: number) => void;
  /** Called after each merge with the merges done, the most possible, and the merged pair's frequency. */
  onMerge?: (done: number, target: number, frequency: number) => void;
}

/** Frequencies of pre-tokenised chunks over a stream of texts. */
export class ChunkCounter {
  readonly counts = new Map<string, number>();
  texts = 0;

  add(text: string): void {
    for (const chunk of pretokenize(text)) this.counts.set(chunk, (this.counts.get(chunk) ?? 0) + 1);
    this.texts++;
  }
}

/** Trains a tokenizer on `texts` (a sync or async stream, read once). */
export async function trainBpe(
  texts: Iterable<string> | AsyncIterable<string>,
  config: BpeTrainConfig,
  hooks: BpeTrainHooks = {},
): Promise<BpeTokenizer> {
  const cfg = validateConfig(config, TRAIN_SCHEMA, 'BPE training config');
  const counter = new ChunkCounter();
  for await (const text of texts) {
    if (typeof text !== 'string') throw new Error(`trainBpe: text #${counter.texts} is ${typeof text}, expected a string`);
    counter.add(text);
    if (counter.texts % 1000 === 0) hooks.onText?.(counter.texts);
  }
  hooks.onText?.(counter.texts);
  return new BpeTokenizer(learnMerges(counter.counts, cfg, hooks.onMerge));
}

/** Learns merges from chunk frequencies until `vocabSize` ids exist or no pair is frequent enough. */
export function learnMerges(chunkCounts: ReadonlyMap<string, number>, config: BpeTrainConfig, onMerge?: BpeTrainHooks['onMerge']): Merge[] {
  const cfg = validateConfig(config, TRAIN_SCHEMA, 'BPE training config');
  const target = cfg.vocabSize - MERGE_OFFSET;
  const encoder = new TextEncoder();
  const words: Int32Array[] = [];
  const freqs: number[] = [];
  for (const [chunk, f] of chunkCounts) {
    const bytes = encoder.encode(chunk);
    if (bytes.length < 2) continue; // no pairs: never changes
    words.push(Int32Array.from(bytes, (b) => b + BYTE_OFFSET));
    freqs.push(f);
  }

  // Pair counts, and for each pair the words it (once) occurred in: a word index
  // may be stale (the pair has since been merged away there), never missing.
  const counts = new Map<number, number>();
  const where = new Map<number, number[]>();
  const addWhere = (key: number, w: number): void => {
    const list = where.get(key);
    if (!list) where.set(key, [w]);
    else if (list[list.length - 1] !== w) list.push(w);
  };
  words.forEach((word, w) => {
    for (let i = 0; i + 1 < word.length; i++) {
      const key = pairKey(word[i]!, word[i + 1]!);
      counts.set(key, (counts.get(key) ?? 0) + freqs[w]!);
      addWhere(key, w);
    }
  });

  // Max-heap on (count, then smaller key); entries go stale when counts drop
  // and are re-pushed with the current count when popped.
  type Entry = { key: number; count: number };
  const heap = new BinaryHeap<Entry>((x, y) => x.count > y.count || (x.count === y.count && x.key < y.key));
  for (const [key, count] of counts) heap.push({ key, count });

  const merges: Merge[] = [];
  const add = (key: number, delta: number): void => {
    const c = (counts.get(key) ?? 0) + delta;
    if (c > 0) counts.set(key, c);
    else counts.delete(key);
  };
  while (merges.length < target) {
    const top = heap.pop();
    if (!top) break;
    const current = counts.get(top.key) ?? 0;
    if (current !== top.count) {
      if (current > 0) heap.push({ key: top.key, count: current });
      continue;
    }
    if (current < cfg.minFrequency) break;
    const [a, b] = unpairKey(top.key);
    const id = MERGE_OFFSET + merges.length;
    merges.push([a, b]);
    const grown = new Set<number>();
    for (const w of where.get(top.key)!) {
      const word = words[w]!;
      const f = freqs[w]!;
      // Rewrite in place: the write index j never passes the read index i.
      let j = 0;
      for (let i = 0; i < word.length; ) {
        if (i + 1 < word.length && word[i] === a && word[i + 1] === b) {
          // Left neighbour: the live (possibly just merged) symbol, as in HF tokenizers.
          if (j > 0) {
            const left = word[j - 1]!;
            add(pairKey(left, a), -f);
            const k = pairKey(left, id);
            add(k, f);
            grown.add(k);
            addWhere(k, w);
          }
          if (i + 2 < word.length) {
            const right = word[i + 2]!;
            add(pairKey(b, right), -f);
            const k = pairKey(id, right);
            add(k, f);
            grown.add(k);
            addWhere(k, w);
          }
          word[j++] = id;
          i += 2;
        } else {
          word[j++] = word[i++]!;
        }
      }
      if (j !== word.length) words[w] = word.subarray(0, j);
    }
    counts.delete(top.key);
    where.delete(top.key);
    for (const k of grown) {
      const c = counts.get(k);
      if (c !== undefined) heap.push({ key: k, count: c });
    }
    onMerge?.(merges.length, target, current);
  }
  return merges;
}
