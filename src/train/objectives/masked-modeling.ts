/**
 * Stage 1, image / video / audio: masked reconstruction. Some tokens' inputs
 * are blanked in the data (pixels of masked patches or tubelets set to 0,
 * samples of masked audio tokens set to 0, as in SimMIM, Xie et al. 2022,
 * which masks in input space); the encoder sees the rest, and a linear head
 * predicts each masked token's original content — raw pixels for patches and
 * tubelets, log-mel frames for audio. Loss: mean squared error over masked
 * tokens only (Xie et al. 2022, eq. 1; He et al. 2022 §3).
 *
 * Inputs: `<m>` (masked), `<m>_target` (clean, same shape), `<m>_token_mask`
 * float32 [B, T_m] (1 = masked and scored).
 */
import { Graph } from '../../graph/graph.js';
import * as op from '../../graph/ops/index.js';
import type { Value } from '../../graph/value.js';
import type { ModelConfig } from '../../model/config.js';
import { patchify } from '../../model/encoders/patchify.js';
import { declareModelInputs } from '../../model/model-inputs.js';
import { framesAtVideoSize, MultimodalModel } from '../../model/multimodal-model.js';
import { Linear } from '../../nn/linear.js';
import type { Objective } from './objective.js';

export type MaskedModality = 'image' | 'audio' | 'video';

export function maskedModelingObjective(cfg: ModelConfig, m: MaskedModality): Objective {
  const g = new Graph(`s1.masked.${m}`);
  const model = new MultimodalModel(g, cfg, [m]);
  const inputs = declareModelInputs(g, cfg, [m]);
  const masked = inputs[m]!;
  const target = g.input(`${m}_target`, 'float32', masked.shape);
  const out = model.forward(inputs, { training: true, encodersOnly: true }).encoders[m]!;
  const truth = targetTokens(model, cfg, m, target); // [B, T, F]
  const tokenMask = g.input(`${m}_token_mask`, 'float32', ['batch', out.tokens.shape[1]!]);
  const head = g.withScope('pretrain', () => new Linear(g, `${m}_head`, { inFeatures: cfg.core.dim, outFeatures: truth.shape[2] as number }));
  const pred = head.apply(out.tokens); // [B, T, F]
  const err = op.reduceMean(op.square(op.sub(pred, truth)), [2]); // [B, T] per-token MSE
  const loss = op.div(op.reduceSum(op.mul(err, tokenMask)), op.maximum(op.reduceSum(tokenMask), 1)); // []
  return { graph: g, loss, metrics: { [`masked_${m}`]: loss }, updateMasks: new Map() };
}

/** What each token should reconstruct from the clean input: [B, T, F]. */
function targetTokens(model: MultimodalModel, cfg: ModelConfig, m: MaskedModality, clean: Value): Value {
  if (m === 'image') return patchify(clean, { patch: cfg.image.patchSize, what: 'masked image target' }).patches; // [B, N, 3P²]
  if (m === 'video') return patchify(framesAtVideoSize(cfg, clean), { patch: cfg.video.videoPatch, tubelet: cfg.video.tubeletFrames, what: 'masked video target' }).patches; // [B, N, 3tP²]
  const enc = model.audio!;
  const t = enc.tokenCount(clean.shape[1] as number);
  const f = cfg.audio.framesPerToken;
  const mel = enc.logMel(clean); // [B, frames, M]
  const used = op.slice(mel, [0], [t * f], [1]); // [B, T·F, M]
  return op.reshape(used, [0, t, f * cfg.audio.melBins]); // [B, T, F·M]
}
