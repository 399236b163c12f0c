import { describe, expect, it } from 'vitest';
import { EncodeHold } from './encode-hold.js';

describe('EncodeHold', () => {
  it('holds a group smaller than the decode batch, for at most maxSteps decode steps', () => {
    const h = new EncodeHold(2);
    expect(h.holds('g', 3, 32, 10)).toBe(true);
    h.stepped();
    expect(h.holds('g', 4, 32, 10)).toBe(true); // 1 step waited
    h.stepped();
    expect(h.holds('g', 5, 32, 10)).toBe(false); // 2 steps: runs
    expect(h.holds('g', 1, 32, 10)).toBe(true); // a new group waits afresh
  });

  it('never holds with no rows decoding, a group as large as the decode batch or its cap, or maxSteps 0', () => {
    const h = new EncodeHold(4);
    expect(h.holds('g', 3, 32, 0)).toBe(false);
    expect(h.holds('g', 10, 32, 10)).toBe(false);
    expect(h.holds('g', 5, 5, 10)).toBe(false);
    expect(h.holds('g', 0, 32, 10)).toBe(false);
    expect(new EncodeHold(0).holds('g', 1, 32, 10)).toBe(false);
  });

  it('counts each group separately', () => {
    const h = new EncodeHold(1);
    expect(h.holds('a', 1, 32, 4)).toBe(true);
    h.stepped();
    expect(h.holds('b', 1, 32, 4)).toBe(true);
    expect(h.holds('a', 1, 32, 4)).toBe(false);
  });
});
