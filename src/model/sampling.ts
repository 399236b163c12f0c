/**
 * Choosing the next token from logits: greedy (temperature 0), or sampling
 * with temperature and nucleus (top-p) filtering (Holtzman et al. 2020).
 */
import type { Random } from '../graph/random.js';

export interface SamplingOptions {
  /** 0 = greedy arg-max (default); > 0 divides the logits before the softmax. */
  temperature?: number;
  /** Keep the smallest set of tokens whose probability sums to ≥ topP (default 1 = all). */
  topP?: number;
}

/** Index of the largest logit (the first on ties). */
export function argmax(logits: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i]! > logits[best]!) best = i;
  return best;
}

/** Picks a token id from one row of logits. */
export function sampleToken(logits: ArrayLike<number>, o: SamplingOptions, rng: Random): number {
  const temperature = o.temperature ?? 0;
  const topP = o.topP ?? 1;
  if (!(temperature >= 0)) throw new Error(`temperature must be ≥ 0, got ${temperature}`);
  if (!(topP > 0 && topP <= 1)) throw new Error(`top_p must be in (0, 1], got ${topP}`);
  if (temperature === 0) return argmax(logits);
  const max = logits[argmax(logits)]!;
  const probs = Array.from(logits, (z) => Math.exp((z - max) / temperature));
  const total = probs.reduce((a, b) => a + b, 0);
  const order = probs.map((p, i) => [p / total, i] as const).sort((a, b) => b[0] - a[0]);
  let kept = 0;
  let mass = 0;
  while (kept < order.length && (kept === 0 || mass < topP)) mass += order[kept++]![0];
  let u = rng.nextFloat() * mass;
  for (let i = 0; i < kept; i++) {
    u -= order[i]![0];
    if (u <= 0) return order[i]![1];
  }
  return order[kept - 1]![1];
}
