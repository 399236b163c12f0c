/**
 * Symmetric InfoNCE between two batches of paired, L2-normalised embeddings
 * (CLIP, Radford et al. 2021, §2.3 and Fig. 3; van den Oord et al. 2018):
 *
 *   logits = exp(s) · A·Bᵀ,  L = ½ [CE(logits, I) + CE(logitsᵀ, I)]
 *
 * where row i of A and row i of B are a positive pair and every other row of
 * the batch is a negative. s is a learnable log temperature, initialised to
 * ln(1/0.07) and clamped at ln(100) so the scale never exceeds 100.
 */
import type { Graph } from '../../graph/graph.js';
import * as op from '../../graph/ops/index.js';
import type { Value } from '../../graph/value.js';

export const LOGIT_SCALE_INIT = Math.log(1 / 0.07);
export const LOGIT_SCALE_MAX = Math.log(100);

/** The learnable log logit scale s [] (parameter `<scope>.logit_scale`). */
export function logitScaleParam(g: Graph): Value {
  return g.param('logit_scale', [], { kind: 'constant', value: LOGIT_SCALE_INIT });
}

/** a, b: [B, E] unit-norm embeddings of B positive pairs; logScale: [] → scalar loss. */
export function symmetricInfoNce(a: Value, b: Value, logScale: Value): Value {
  const scale = op.exp(op.clip(logScale, undefined, LOGIT_SCALE_MAX)); // [] exp(min(s, ln 100))
  const logits = op.mul(op.matmul(a, op.transpose(b, [1, 0])), scale); // [B, B]
  const n = op.gather(op.shapeOf(a), a.graph.scalar(0, 'int64')); // [] B
  const targets = op.range(a.graph.scalar(0, 'int64'), n, a.graph.scalar(1, 'int64')); // [B] the diagonal
  const aToB = diagonalCrossEntropy(logits, targets); // []
  const bToA = diagonalCrossEntropy(op.transpose(logits, [1, 0]), targets); // []
  return op.mul(op.add(aToB, bToA), 0.5); // []
}

/** Mean over rows of −log softmax(logits)[i, targets[i]]. */
function diagonalCrossEntropy(logits: Value, targets: Value): Value {
  const logp = op.logSoftmax(logits, 1); // [B, B]
  const picked = op.gatherElements(logp, op.unsqueeze(targets, [1]), 1); // [B, 1]
  return op.neg(op.reduceMean(picked)); // []
}
