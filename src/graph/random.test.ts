import { describe, expect, it } from 'vitest';
import { hash128, Random } from './random.js';

const draws = (r: Random, n: number, f: (r: Random) => number): number[] => Array.from({ length: n }, () => f(r));

function meanVar(xs: readonly number[]): { mean: number; variance: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length;
  return { mean, variance };
}

describe('Random', () => {
  it('matches the xoshiro128** reference output for state [1, 2, 3, 4]', () => {
    const r = new Random(0);
    (r as unknown as { rekey(k: number[]): void }).rekey([1, 2, 3, 4]);
    // From the C reference implementation (prng.di.unimi.it/xoshiro128starstar.c).
    expect(draws(r, 6, (x) => x.nextUint32())).toEqual([11520, 0, 5927040, 70819200, 2031721883, 1637235492]);
  });

  it('is deterministic for a seed and differs between seeds', () => {
    const a = draws(new Random(42), 20, (r) => r.nextUint32());
    const b = draws(new Random(42), 20, (r) => r.nextUint32());
    const c = draws(new Random(43), 20, (r) => r.nextUint32());
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(draws(new Random(-1), 5, (r) => r.nextUint32())).not.toEqual(draws(new Random(2 ** 32 - 1), 5, (r) => r.nextUint32()));
  });

  it('pins the first values of seed 0 (changing them changes every model initialisation)', () => {
    expect(draws(new Random(0), 3, (r) => r.nextUint32())).toEqual([2166330511, 3573416628, 1801037279]);
    expect(draws(new Random(0).fork('enc.w'), 2, (r) => r.nextUint32())).toEqual([1847261914, 1788793816]);
    expect(hash128([1, 2, 3])).not.toEqual(hash128([1, 2, 4]));
  });

  it('rejects seeds that are not safe integers', () => {
    expect(() => new Random(1.5)).toThrow(/seed/);
    expect(() => new Random(Number.NaN)).toThrow(/seed/);
  });

  it('nextFloat is uniform in [0, 1)', () => {
    const xs = draws(new Random(1), 100_000, (r) => r.nextFloat());
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    const { mean, variance } = meanVar(xs);
    expect(mean).toBeCloseTo(0.5, 2);
    expect(variance).toBeCloseTo(1 / 12, 2);
  });

  it('normal() has mean ≈ 0 and variance ≈ 1', () => {
    const xs = draws(new Random(7), 200_000, (r) => r.normal());
    const { mean, variance } = meanVar(xs);
    expect(Math.abs(mean)).toBeLessThan(0.01); // 4.5 standard errors
    expect(Math.abs(variance - 1)).toBeLessThan(0.015);
    expect(xs.every(Number.isFinite)).toBe(true);
    const tail = xs.filter((x) => Math.abs(x) > 2).length / xs.length;
    expect(tail).toBeCloseTo(0.0455, 2); // P(|Z| > 2)
  });

  it('int(n) covers [0, n) evenly and validates n', () => {
    const r = new Random(3);
    const counts = new Array<number>(6).fill(0);
    for (let i = 0; i < 60_000; i++) counts[r.int(6)]! += 1;
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(400);
    expect(r.int(1)).toBe(0);
    expect(() => r.int(0)).toThrow(/n must be/);
    expect(() => r.int(2.5)).toThrow(/n must be/);
    expect(() => r.int(2 ** 33)).toThrow(/n must be/);
  });

  it('fork(label) depends only on the key and the label, not on draws', () => {
    const a = new Random(9);
    const before = a.fork('x').nextUint32();
    draws(a, 10, (r) => r.normal());
    expect(a.fork('x').nextUint32()).toBe(before);
    expect(new Random(9).fork('x').nextUint32()).toBe(before);
    expect(new Random(9).fork('y').nextUint32()).not.toBe(before);
    expect(new Random(10).fork('x').nextUint32()).not.toBe(before);
    // Nested forks are distinct from flat ones with a joined label.
    expect(new Random(9).fork('a').fork('b').nextUint32()).not.toBe(new Random(9).fork('ab').nextUint32());
  });

  it('forked streams are uncorrelated with their parent and siblings', () => {
    const root = new Random(5);
    const xs = draws(root.fork('p'), 50_000, (r) => r.normal());
    const ys = draws(root.fork('q'), 50_000, (r) => r.normal());
    const zs = draws(new Random(5), 50_000, (r) => r.normal());
    const corr = (u: number[], v: number[]) => u.reduce((s, x, i) => s + x * v[i]!, 0) / u.length;
    expect(Math.abs(corr(xs, ys))).toBeLessThan(0.02);
    expect(Math.abs(corr(xs, zs))).toBeLessThan(0.02);
  });
});
