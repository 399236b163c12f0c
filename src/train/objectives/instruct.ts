/**
 * Stage 3: multimodal instruction tuning. The inputs (media, and the question
 * as text when there is one) go through encoders → modality router → fusion
 * with MoE; the decoder is teacher-forced on the answer (or caption) and the
 * loss is the token cross-entropy on the answer tokens, plus the MoE
 * load-balancing and z-losses (Fedus et al. 2021; Zoph et al. 2022).
 *
 * Inputs: the model inputs of the signature, `dec_ids` int64 [B, L]
 * (bos + answer), `dec_targets` int64 [B, L] (answer + eos), `dec_weights`
 * float32 [B, L], and `noise_seed` int64 [] for the routers' jitter. With
 * `features`, those media come in as their fixed encoders' outputs
 * (`<m>_tokens`, `<m>_pooled`, `video_keyframes`; train/encoder-features.ts)
 * and the graph has no encoder for them.
 */
import { Graph } from '../../graph/graph.js';
import * as op from '../../graph/ops/index.js';
import type { ModelConfig } from '../../model/config.js';
import type { MediaModality, Modality } from '../../model/modalities.js';
import { declareFeatureInputs, declareModelInputs } from '../../model/model-inputs.js';
import { MultimodalModel } from '../../model/multimodal-model.js';
import { weightedTokenAccuracy, weightedTokenCrossEntropy } from '../losses/token-cross-entropy.js';
import { expertUpdateMasks, type Objective } from './objective.js';

export function instructObjective(cfg: ModelConfig, signature: Modality[], features: readonly MediaModality[] = []): Objective {
  for (const m of features) if (!signature.includes(m)) throw new Error(`instruction task ${signature.join('+')}: features given for ${m}, which it does not read`);
  const g = new Graph(`s3.instruct.${signature.join('+')}`);
  const model = new MultimodalModel(g, cfg, signature, { features });
  const noiseSeed = g.input('noise_seed', 'int64', []);
  const inputs = declareModelInputs(g, cfg, signature.filter((m) => !(features as readonly Modality[]).includes(m)));
  if (features.length > 0) inputs.features = declareFeatureInputs(g, cfg, features);
  const out = model.forward(inputs, { training: true, noiseSeed });
  const ids = g.input('dec_ids', 'int64', ['batch', 'dec_len']);
  const targets = g.input('dec_targets', 'int64', ['batch', 'dec_len']);
  const weights = g.input('dec_weights', 'float32', ['batch', 'dec_len']);
  const logits = model.decoder.apply(ids, out.fused!.tokens, out.fused!.mask); // [B, L, V]
  const answer = weightedTokenCrossEntropy(logits, targets, weights); // []
  const loss = op.add(answer, out.auxLoss); // []
  return {
    graph: g,
    loss,
    metrics: { answer, aux: out.auxLoss, token_acc: weightedTokenAccuracy(logits, targets, weights) },
    updateMasks: expertUpdateMasks(out.moe),
  };
}
