/**
 * Expert-choice routing (Zhou et al. 2022, "Mixture-of-Experts with Expert
 * Choice Routing", §3): the router scores S = softmax(logits) [N, E]; each
 * expert takes its top-C tokens by score, G, I = TopK(Sᵀ, C), so every expert
 * processes exactly C tokens and load balance holds by construction. A token
 * may be taken by several experts or by none; outputs are combined by a
 * gate-weighted scatter-add. (Routing looks at the whole batch, so it does
 * not suit causal decoding.)
 */
import * as op from '../graph/ops/index.js';
import type { Dim } from '../graph/shape.js';
import type { Value } from '../graph/value.js';
import { oneHot } from './capacity.js';
import { bufferShape } from './dispatch.js';

export interface ExpertChoice {
  /** Token taken by each expert slot [E, C] int64. */
  token: Value;
  /** Gate of each slot [E, C]: the token's score, 0 for a padding token. */
  gate: Value;
  /** 1 where the slot holds a real (not padding) token [E, C] int64. */
  real: Value;
  /** Expert input buffer [E, C, D]. */
  buffer: Value;
}

/**
 * Each expert's top-C tokens of x [N, D] by `probs` [N, E]. Padding
 * (`valid` [N] bool false) scores −1, below every real token, and is only
 * taken when C exceeds the real tokens (the layer clamps C so it does not).
 */
export function expertChoiceRouting(x: Value, probs: Value, valid: Value | null, capacity: Value, capDim: Dim): ExpertChoice {
  const [E, dim] = [probs.shape[1] as number, x.shape[1] as number];
  const scores = op.transpose(probs, [1, 0]); // [E, N]
  const masked = valid ? op.where(op.unsqueeze(valid, [0]), scores, -1) : scores; // [E, N]
  const [top, token] = op.topk(masked, op.reshape(capacity, [1]), { axis: -1 }); // [E, C], [E, C]
  const real = valid ? op.gather(op.cast(valid, 'int64'), token) : op.constantOfShape(op.shapeOf(token), 1, 'int64'); // [E, C]
  const gate = op.where(op.equal(real, 1), top, 0); // [E, C]
  const rows = op.gather(x, op.reshape(token, [-1])); // [E·C, D]
  const buffer = op.reshape(rows, bufferShape(capacity, E, dim, capDim)); // [E, C, D]
  return { token, gate, real, buffer };
}

export interface ExpertChoiceStats {
  /** Real tokens each expert processed [E] int64. */
  tokensPerExpert: Value;
  /** Real tokens no expert took [] int64. */
  droppedTokens: Value;
  /** Real tokens processed per (modality, expert) [M, E] int64, when modalities are given. */
  tokensPerModalityExpert?: Value;
}

/** Counts of an expert-choice routing; `valid` [N] bool, `modality` [N] int64 ids in [0, M). */
export function expertChoiceStats(r: ExpertChoice, x: Value, valid: Value | null, modality: { ids: Value; count: number } | null): ExpertChoiceStats {
  const tokensPerExpert = op.reduceSum(r.real, [1]); // [E]
  const flatTok = op.reshape(r.token, [-1]); // [E·C]
  const n = op.reshape(op.gather(op.shapeOf(x), x.graph.scalar(0, 'int64')), [1]); // [1] N
  // ScatterElements, not ScatterND: ONNX Runtime's ScatterND 'add' loses updates on 2 threads (autodiff/rules/indexing.ts).
  const takenBy = op.scatterElements(op.constantOfShape(n, 0, 'int64'), flatTok, op.reshape(r.real, [-1]), 0, 'add'); // [N] experts per token
  const untaken = op.cast(op.equal(takenBy, 0), 'int64'); // [N]
  const realTok = valid ? op.cast(valid, 'int64') : op.constantOfShape(n, 1, 'int64'); // [N]
  const droppedTokens = op.reduceSum(op.mul(untaken, realTok)); // []
  if (!modality) return { tokensPerExpert, droppedTokens };
  const mods = oneHot(op.gather(modality.ids, r.token), modality.count); // [E, C, M]
  const counts = op.reduceSum(op.mul(mods, op.unsqueeze(r.real, [2])), [1]); // [E, M]
  return { tokensPerExpert, droppedTokens, tokensPerModalityExpert: op.transpose(counts, [1, 0]) }; // [M, E]
}
