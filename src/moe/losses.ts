/**
 * Auxiliary router losses. Pure functions of router tensors: they never see
 * the layer, and the layer returns them with its output.
 */
import * as op from '../graph/ops/index.js';
import type { Value } from '../graph/value.js';

/** log Σ_j exp(x_j) along `axis` (dropped), composed stably as m + log Σ exp(x − m) with m = max x. */
export function logSumExp(x: Value, axis = -1): Value {
  const m = op.reduceMax(x, [axis], true); // [.., 1, ..]
  const s = op.reduceSum(op.exp(op.sub(x, m)), [axis], true); // [.., 1, ..]
  return op.squeeze(op.add(m, op.log(s)), [axis]); // [..]
}

/**
 * Mean over the leading (token) axis of x [N, ...], counting only rows with
 * weight 1 when `weights` [N] (0/1, x's dtype) is given; 0 when no row counts.
 */
export function tokenMean(x: Value, weights: Value | null): Value {
  if (!weights) return op.reduceMean(x, [0]); // [...]
  const w = x.rank === 1 ? weights : op.reshape(weights, [-1, ...Array<number>(x.rank - 1).fill(1)]); // [N, 1..]
  const count = op.maximum(op.reduceSum(weights), 1); // [] max(Σw, 1)
  return op.div(op.reduceSum(op.mul(x, w), [0]), count); // [...]
}

/**
 * Switch Transformer load-balancing loss (Fedus et al. 2021, eq. 4–6):
 *
 *   loss = α · E · Σ_i f_i · P_i
 *
 * with f_i the fraction of assignments dispatched to expert i (eq. 5, the
 * argmax indicator; for k > 1 over all k·T assignments, so Σ f_i = 1 and a
 * perfectly balanced router scores α for any k) and P_i the mean router
 * probability of expert i (eq. 6). Only P carries a gradient.
 * `dispatchFraction` f [E], `meanProbs` P [E]; returns [].
 */
export function loadBalanceLoss(dispatchFraction: Value, meanProbs: Value, coef: number): Value {
  const E = meanProbs.shape[0] as number;
  const dot = op.reduceSum(op.mul(dispatchFraction, meanProbs)); // [] Σ f_i·P_i
  return op.mul(dot, coef * E); // [] α·E·Σ f_i·P_i
}

/**
 * Router z-loss (Zoph et al. 2022, "ST-MoE", eq. 5):
 *
 *   L_z = β · (1/T) Σ_t (log Σ_j exp(x_tj))²
 *
 * which keeps router logits small (numerically stable routing). `logits`
 * [N, E]; `weights` [N] (0/1, logits' dtype) excludes padding; returns [].
 */
export function routerZLoss(logits: Value, weights: Value | null, coef: number): Value {
  const lse = logSumExp(logits, -1); // [N]
  return op.mul(tokenMean(op.mul(lse, lse), weights), coef); // []
}
