import { describe, expect, it } from 'vitest';
import { assignSplits } from './splits.js';

describe('assignSplits', () => {
  it('gives exact fractions, deterministically, differently per seed', () => {
    const s = assignSplits(1000, 1, { val: 0.1, test: 0.1 });
    const count = (k: string) => s.filter((x) => x === k).length;
    expect([count('train'), count('val'), count('test')]).toEqual([800, 100, 100]);
    expect(assignSplits(1000, 1, { val: 0.1, test: 0.1 })).toEqual(s);
    expect(assignSplits(1000, 2, { val: 0.1, test: 0.1 })).not.toEqual(s);
    const t = assignSplits(101, 3, { val: 0.25, test: 0.05 });
    expect(t.filter((x) => x === 'val')).toHaveLength(25);
    expect(t.filter((x) => x === 'test')).toHaveLength(5);
  });

  it('spreads each split over the index range (not a contiguous block)', () => {
    const s = assignSplits(1000, 1, { val: 0.1, test: 0.1 });
    for (const half of [s.slice(0, 500), s.slice(500)]) {
      expect(half.filter((x) => x === 'test').length).toBeGreaterThan(30);
      expect(half.filter((x) => x === 'val').length).toBeGreaterThan(30);
    }
  });

  it('rejects impossible fractions with a clear error', () => {
    expect(() => assignSplits(10, 1, { val: 0.6, test: 0.5 })).toThrow(/val \+ test must be ≤ 1/);
    expect(() => assignSplits(10, 1, { val: -0.1, test: 0.1 })).toThrow(/val must be in \[0, 1\]/);
    expect(assignSplits(10, 1, { val: 0, test: 0 })).toEqual(new Array(10).fill('train'));
  });
});
