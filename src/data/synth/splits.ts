/**
 * Train/val/test splits by scene: every example of a scene shares its split,
 * so splits are disjoint by scene. Scenes are ranked by a seeded hash of their
 * index; the first round(n·test) go to test, the next round(n·val) to val,
 * the rest to train — exact counts, deterministic for (seed, n).
 */
import { Random } from '../../graph/random.js';
import type { Split } from '../manifest.js';

export { SPLITS, type Split } from '../manifest.js';

export interface SplitFractions {
  /** Fraction of scenes in the validation split (default 0.1). */
  val: number;
  /** Fraction of scenes in the test split (default 0.1). */
  test: number;
}

/** Throws a clear error unless 0 ≤ val, test and val + test ≤ 1. */
export function checkFractions(f: SplitFractions): void {
  for (const k of ['val', 'test'] as const) {
    if (!(Number.isFinite(f[k]) && f[k] >= 0 && f[k] <= 1)) throw new Error(`split fraction ${k} must be in [0, 1], got ${f[k]}`);
  }
  if (f.val + f.test > 1) throw new Error(`split fractions val + test must be ≤ 1, got ${f.val} + ${f.test}`);
}

/** The split of each of scenes 0..n-1. */
export function assignSplits(n: number, seed: number, fractions: SplitFractions): Split[] {
  checkFractions(fractions);
  const root = new Random(seed).fork('synth.split');
  const keys = Array.from({ length: n }, (_, i) => root.fork(i).nextUint32());
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => keys[a]! - keys[b]! || a - b);
  const nTest = Math.round(n * fractions.test);
  const nVal = Math.min(n - nTest, Math.round(n * fractions.val));
  const out = new Array<Split>(n).fill('train');
  order.forEach((scene, rank) => {
    if (rank < nTest) out[scene] = 'test';
    else if (rank < nTest + nVal) out[scene] = 'val';
  });
  return out;
}
