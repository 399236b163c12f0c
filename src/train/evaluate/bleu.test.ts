import { describe, expect, it } from 'vitest';
import { corpusBleu } from './bleu.js';

describe('corpus BLEU-4', () => {
  it('is 1 for identical hypotheses and references', () => {
    const s = corpusBleu(['a large red circle left of a small blue square', 'the cat sat on the mat'], ['a large red circle left of a small blue square', 'the cat sat on the mat']);
    expect(s.bleu).toBe(1);
    expect(s.precisions).toEqual([1, 1, 1, 1]);
    expect(s.brevityPenalty).toBe(1);
  });

  it('is 0 without a single 4-gram in common, although lower orders match', () => {
    const s = corpusBleu(['the cat sat on the mat'], ['the cat is on the mat']);
    expect(s.precisions[0]).toBeCloseTo(5 / 6, 12);
    expect(s.precisions[1]).toBeCloseTo(3 / 5, 12); // the cat, on the, the mat
    expect(s.precisions[3]).toBe(0);
    expect(s.bleu).toBe(0);
  });

  it('applies the brevity penalty exp(1 − r/c) to a short hypothesis', () => {
    // every n-gram of the 4-token hypothesis is in the 6-token reference
    const s = corpusBleu(['the cat sat on'], ['the cat sat on the mat']);
    expect(s.precisions).toEqual([1, 1, 1, 1]);
    expect(s.brevityPenalty).toBeCloseTo(Math.exp(1 - 6 / 4), 12);
    expect(s.bleu).toBeCloseTo(0.6065306597, 9);
  });

  it('clips counts by the reference (Papineni et al. §2.1: "the the the …")', () => {
    const s = corpusBleu(['the the the the the the the'], ['the cat is on the mat']);
    expect(s.precisions[0]).toBeCloseTo(2 / 7, 12);
    expect(s.bleu).toBe(0);
  });

  it('pools n-gram counts and lengths over the corpus (hand-computed)', () => {
    // hyp 1 vs ref 1: p1 8/8, p2 5/7, p3 3/6, p4 2/5, c 8, r 10
    const one = corpusBleu(['a red circle left of a blue square'], ['a large red circle left of a small blue square']);
    expect(one.precisions.map((p) => +p.toFixed(12))).toEqual([1, +(5 / 7).toFixed(12), 0.5, 0.4]);
    expect(one.bleu).toBeCloseTo(Math.exp(1 - 10 / 8) * Math.pow((5 / 7) * (3 / 6) * (2 / 5), 1 / 4), 12);
    expect(one.bleu).toBeCloseTo(0.478796, 5);
    // plus an identical 6-token pair: p = 14/14, 10/12, 7/10, 5/8; c 14, r 16
    const two = corpusBleu(['a red circle left of a blue square', 'the cat sat on the mat'], ['a large red circle left of a small blue square', 'the cat sat on the mat']);
    expect(two.hypothesisLength).toBe(14);
    expect(two.referenceLength).toBe(16);
    expect(two.bleu).toBeCloseTo(Math.exp(1 - 16 / 14) * Math.pow((10 / 12) * (7 / 10) * (5 / 8), 1 / 4), 12);
  });

  it('is 0 for an empty hypothesis and rejects misaligned inputs', () => {
    expect(corpusBleu([''], ['a b c d']).bleu).toBe(0);
    expect(() => corpusBleu(['a'], [])).toThrow(/1 hypotheses but 0 references/);
  });
});
