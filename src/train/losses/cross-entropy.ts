/**
 * Softmax cross-entropy over class logits, mean over the batch:
 * L = −(1/N) Σ_n log softmax(z_n)[y_n]  (e.g. Goodfellow et al. 2016, Deep Learning, §6.2.2.3).
 */
import * as op from '../../graph/ops/index.js';
import type { Value } from '../../graph/value.js';

/** `logits` [..., C], int64 `labels` [...] → scalar mean negative log-likelihood. */
export function softmaxCrossEntropy(logits: Value, labels: Value): Value {
  const logp = op.logSoftmax(logits, -1); // [..., C]
  const picked = op.gatherElements(logp, op.unsqueeze(labels, [labels.rank]), logits.rank - 1); // [..., 1]
  return op.neg(op.reduceMean(picked)); // []
}

/** Fraction of rows whose arg-max logit equals the label (a metric; carries no gradient). */
export function accuracy(logits: Value, labels: Value): Value {
  const [, top] = op.topk(logits, 1, { axis: -1 }); // [..., 1] int64
  const hit = op.cast(op.equal(op.squeeze(top, [top.rank - 1]), labels), 'float32'); // [...]
  return op.reduceMean(hit); // []
}
