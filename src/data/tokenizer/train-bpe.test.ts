import { describe, expect, it } from 'vitest';
import { Random } from '../../graph/random.js';
import { randomUnicode, tinyCorpus } from './test-corpus.js';
import type { Merge } from './tokenizer.js';
import { ChunkCounter, learnMerges, trainBpe } from './train-bpe.js';
import { BYTE_OFFSET, MERGE_OFFSET, pairKey, unpairKey } from './vocab.js';

/** Reference trainer: recount every pair before each merge (slow, obviously right). */
function naiveMerges(counts: ReadonlyMap<string, number>, vocabSize: number, minFrequency: number): Merge[] {
  const words = [...counts].map(([chunk, f]) => ({ ids: Array.from(new TextEncoder().encode(chunk), (b) => b + BYTE_OFFSET), f }));
  const merges: Merge[] = [];
  while (MERGE_OFFSET + merges.length < vocabSize) {
    const pairs = new Map<number, number>();
    for (const w of words) for (let i = 0; i + 1 < w.ids.length; i++) pairs.set(pairKey(w.ids[i]!, w.ids[i + 1]!), (pairs.get(pairKey(w.ids[i]!, w.ids[i + 1]!)) ?? 0) + w.f);
    let best = -1;
    let bestCount = 0;
    for (const [k, c] of pairs) if (c > bestCount || (c === bestCount && k < best)) [best, bestCount] = [k, c];
    if (best < 0 || bestCount < minFrequency) break;
    const [a, b] = unpairKey(best);
    const id = MERGE_OFFSET + merges.length;
    merges.push([a, b]);
    for (const w of words) {
      const next: number[] = [];
      for (let i = 0; i < w.ids.length; i++) {
        if (i + 1 < w.ids.length && w.ids[i] === a && w.ids[i + 1] === b) {
          next.push(id);
          i++;
        } else next.push(w.ids[i]!);
      }
      w.ids = next;
    }
  }
  return merges;
}

function countChunks(texts: string[]): Map<string, number> {
  const c = new ChunkCounter();
  texts.forEach((t) => c.add(t));
  return c.counts;
}

describe('BPE training', () => {
  it('learns exactly the merges of the full-recount reference, overlapping pairs included', () => {
    const rng = new Random(11);
    const texts = [...tinyCorpus(200), 'aaaa aaa aaaaa abab ababab', '哈哈哈哈 哈哈哈', ...Array.from({ length: 50 }, () => randomUnicode(rng, 8))];
    const counts = countChunks(texts);
    for (const minFrequency of [1, 2, 5]) {
      const merges = learnMerges(counts, { vocabSize: 700, minFrequency });
      expect(merges.length).toBeGreaterThan(100);
      expect(merges).toEqual(naiveMerges(counts, 700, minFrequency));
    }
  });

  it('is deterministic and independent of the order of the texts', async () => {
    const texts = tinyCorpus(300);
    const a = await trainBpe(texts, { vocabSize: 500 });
    const b = await trainBpe(texts, { vocabSize: 500 });
    const c = await trainBpe([...texts].reverse(), { vocabSize: 500 });
    expect(b.merges).toEqual(a.merges);
    expect(c.merges).toEqual(a.merges);
  });

  it('stops at vocabSize, or when no pair reaches minFrequency', async () => {
    const texts = tinyCorpus(300);
    expect((await trainBpe(texts, { vocabSize: 300 })).vocabSize).toBe(300);
    expect((await trainBpe(texts, { vocabSize: MERGE_OFFSET })).merges).toEqual([]);
    const capped = await trainBpe(texts, { vocabSize: 100_000, minFrequency: 50 });
    expect(capped.vocabSize).toBeLessThan(100_000);
    expect(capped.vocabSize).toBeGreaterThan(MERGE_OFFSET);
    expect((await trainBpe(['ab'], { vocabSize: 1000 })).merges).toEqual([]); // one occurrence < 2
    expect((await trainBpe(['ab'], { vocabSize: 1000, minFrequency: 1 })).merges).toEqual([[BYTE_OFFSET + 97, BYTE_OFFSET + 98]]);
  });

  it('accepts async streams of texts', async () => {
    const texts = tinyCorpus(100);
    async function* stream() {
      for (const t of texts) yield t;
    }
    expect((await trainBpe(stream(), { vocabSize: 400 })).merges).toEqual((await trainBpe(texts, { vocabSize: 400 })).merges);
  });

  it('never merges across chunk boundaries', async () => {
    const tok = await trainBpe(Array(10).fill('ab ab ab, cd'), { vocabSize: 1000 });
    const decoder = new TextDecoder();
    for (let id = MERGE_OFFSET; id < tok.vocabSize; id++) {
      const s = decoder.decode(tok.tokenBytes(id));
      expect(['ab', ' a', ' ab', 'cd', ' c', ' cd', ', ', ',']).toContain(s);
    }
  });

  it('rejects bad configs with errors naming the key', async () => {
    await expect(trainBpe([], { vocabSize: 100 })).rejects.toThrow(/'vocabSize' must be ≥ 261/);
    await expect(trainBpe([], { vocabSize: 300, minFrequency: 0 })).rejects.toThrow(/'minFrequency' must be ≥ 1/);
    await expect(trainBpe([], { vocabSize: 300, vocab: 3 } as never)).rejects.toThrow(/unknown key 'vocab'/);
    await expect(trainBpe([3 as unknown as string], { vocabSize: 300 })).rejects.toThrow(/text #0 is number/);
  });
});
