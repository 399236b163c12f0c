/**
 * Stage 1, text: next-token prediction with the text decoder on text alone
 * (Radford et al. 2018). The decoder's cross-attention reads a single zero
 * "null memory" token, so the same decoder later reads the fused tokens.
 *
 * Inputs: `lm_ids` int64 [B, L] (bos + text), `lm_targets` int64 [B, L]
 * (text + eos), `lm_weights` float32 [B, L] (1 on real targets, 0 on padding).
 */
import { Graph } from '../../graph/graph.js';
import * as op from '../../graph/ops/index.js';
import type { ModelConfig } from '../../model/config.js';
import { MultimodalModel } from '../../model/multimodal-model.js';
import { weightedTokenCrossEntropy } from '../losses/token-cross-entropy.js';
import type { Objective } from './objective.js';

export function textLmObjective(cfg: ModelConfig): Objective {
  const g = new Graph('s1.lm.text');
  const model = new MultimodalModel(g, cfg, ['text']);
  const ids = g.input('lm_ids', 'int64', ['batch', 'len']);
  const targets = g.input('lm_targets', 'int64', ['batch', 'len']);
  const weights = g.input('lm_weights', 'float32', ['batch', 'len']);
  const batch = op.slice(op.shapeOf(ids), [0], [1]); // [1] B
  const nullMemory = op.constantOfShape(op.concat([batch, g.ints([1, cfg.core.dim])], 0), 0, 'float32'); // [B, 1, D]
  const logits = model.decoder.apply(ids, nullMemory); // [B, L, V]
  const loss = weightedTokenCrossEntropy(logits, targets, weights); // []
  return { graph: g, loss, metrics: { lm: loss }, updateMasks: new Map() };
}
