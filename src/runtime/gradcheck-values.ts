/**
 * Test values for gradient checks: a seeded generator, a per-case seed from
 * the case name, and value generators for the usual domain restrictions
 * (positive, away from kinks, probabilities, …).
 */
/** Uniform numbers in [0, 1). */
export type Rng = () => number;

/** mulberry32: a tiny 32-bit seeded generator (good enough for test data). */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A standard normal sample (Box–Muller). */
export function randn(rng: Rng): number {
  const u = 1 - rng(); // (0, 1]
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

/** FNV-1a hash of a string, used to derive a per-case seed from its name. */
export function hashSeed(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Produces the `n` values of an input tensor (row-major). */
export type ValueInit = (rng: Rng, n: number) => ArrayLike<number>;

/** Value generators for the usual domain restrictions. */
export const init = {
  /** Normal(mean, std²). */
  normal:
    (std = 1, mean = 0): ValueInit =>
    (rng, n) =>
      Array.from({ length: n }, () => mean + std * randn(rng)),
  /** Uniform(lo, hi). */
  uniform:
    (lo: number, hi: number): ValueInit =>
    (rng, n) =>
      Array.from({ length: n }, () => lo + (hi - lo) * rng()),
  /** Uniform in [lo, hi] with lo > 0: for Log, Sqrt, a Pow base, a divisor. */
  positive: (lo = 0.5, hi = 2): ValueInit => init.uniform(lo, hi),
  /** Normal samples redrawn until each is at least `margin` from every kink (Relu 0, Clip bounds). */
  awayFrom:
    (kinks: readonly number[], margin = 0.1, std = 1): ValueInit =>
    (rng, n) =>
      Array.from({ length: n }, () => {
        for (;;) {
          const x = std * randn(rng);
          if (kinks.every((k) => Math.abs(x - k) >= margin)) return x;
        }
      }),
  /** Plus/minus uniform(lo, hi): bounded away from 0 (a divisor, a reciprocal). */
  signed:
    (lo = 0.5, hi = 2): ValueInit =>
    (rng, n) =>
      Array.from({ length: n }, () => (rng() < 0.5 ? -1 : 1) * (lo + (hi - lo) * rng())),
  /**
   * Pairwise distinct values for Max/Min/ReduceMax/TopK: a random permutation
   * of the grid offset + spacing·k, jittered by at most spacing/8. Two inputs
   * with offsets 0 and spacing/2 never come closer than spacing/4 either.
   */
  distinct:
    (spacing = 0.3, offset = 0): ValueInit =>
    (rng, n) => {
      const perm = Array.from({ length: n }, (_, i) => i);
      for (let i = n - 1; i > 0; i--) {
        const j = Math.floor(rng() * (i + 1));
        [perm[i], perm[j]] = [perm[j]!, perm[i]!];
      }
      return perm.map((k) => offset + spacing * (k - n / 2) + (spacing / 8) * (2 * rng() - 1));
    },
  /** Fixed values. */
  values:
    (xs: readonly number[]): ValueInit =>
    (_rng, n) => {
      if (xs.length !== n) throw new Error(`init.values: ${xs.length} values for ${n} elements`);
      return xs;
    },
};
