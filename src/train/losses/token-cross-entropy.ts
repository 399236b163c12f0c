/**
 * Teacher-forced token cross-entropy with per-token weights (0 on padding and
 * on tokens not to be learned, e.g. the prompt): Σ w·(−log p(target)) / Σ w.
 */
import * as op from '../../graph/ops/index.js';
import type { Value } from '../../graph/value.js';

/** logits [B, L, V], targets int64 [B, L], weights float32 [B, L] → []. */
export function weightedTokenCrossEntropy(logits: Value, targets: Value, weights: Value): Value {
  const logp = op.logSoftmax(logits, -1); // [B, L, V]
  const nll = op.neg(op.squeeze(op.gatherElements(logp, op.unsqueeze(targets, [2]), 2), [2])); // [B, L]
  const total = op.reduceSum(op.mul(nll, weights)); // []
  return op.div(total, op.maximum(op.reduceSum(weights), 1)); // []
}

/** Fraction of weighted positions whose arg-max equals the target (a metric). */
export function weightedTokenAccuracy(logits: Value, targets: Value, weights: Value): Value {
  const [, top] = op.topk(logits, 1, { axis: -1 }); // [B, L, 1]
  const hit = op.cast(op.equal(op.squeeze(top, [2]), targets), 'float32'); // [B, L]
  return op.div(op.reduceSum(op.mul(hit, weights)), op.maximum(op.reduceSum(weights), 1)); // []
}
