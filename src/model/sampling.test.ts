import { describe, expect, it } from 'vitest';
import { Random } from '../graph/random.js';
import { argmax, sampleToken } from './sampling.js';

describe('sampling', () => {
  const logits = [0.1, 2.0, 1.9, -1];
  it('temperature 0 is arg-max', () => {
    expect(argmax(logits)).toBe(1);
    expect(sampleToken(logits, {}, new Random(1))).toBe(1);
  });
  it('top-p keeps only the nucleus', () => {
    const rng = new Random(3);
    const seen = new Set<number>();
    for (let i = 0; i < 300; i++) seen.add(sampleToken(logits, { temperature: 1, topP: 0.5 }, rng));
    expect([...seen].sort()).toEqual([1, 2]);
    const all = new Set<number>();
    for (let i = 0; i < 2000; i++) all.add(sampleToken(logits, { temperature: 1 }, rng));
    expect(all.size).toBe(4);
  });
  it('follows the softmax probabilities', () => {
    const rng = new Random(5);
    let ones = 0;
    const n = 20000;
    for (let i = 0; i < n; i++) if (sampleToken([0, Math.log(3)], { temperature: 1 }, rng) === 1) ones++;
    expect(ones / n).toBeGreaterThan(0.73);
    expect(ones / n).toBeLessThan(0.77);
  });
  it('rejects bad parameters', () => {
    expect(() => sampleToken(logits, { temperature: -1 }, new Random(1))).toThrow(/temperature/);
    expect(() => sampleToken(logits, { temperature: 1, topP: 0 }, new Random(1))).toThrow(/top_p/);
  });
});
