/**
 * Stage 2: cross-modal contrastive alignment. Each modality of the batch is
 * encoded on its own (two-tower) and projected into the shared embedding
 * space; the loss is the mean symmetric InfoNCE (Radford et al. 2021) over
 * every pair of modalities present, with one learnable logit scale.
 *
 * Inputs: the model inputs of the signature (see model/model-inputs.ts);
 * row i of every modality belongs to the same example.
 */
import { Graph } from '../../graph/graph.js';
import * as op from '../../graph/ops/index.js';
import type { Value } from '../../graph/value.js';
import type { ModelConfig } from '../../model/config.js';
import type { Modality } from '../../model/modalities.js';
import { declareModelInputs } from '../../model/model-inputs.js';
import { MultimodalModel } from '../../model/multimodal-model.js';
import { logitScaleParam, symmetricInfoNce } from '../losses/info-nce.js';
import type { Objective } from './objective.js';

export function contrastiveObjective(cfg: ModelConfig, signature: Modality[]): Objective {
  if (signature.length < 2) throw new Error(`contrastive alignment needs two or more modalities, got ${signature.join('+') || 'none'}`);
  const g = new Graph(`s2.contrastive.${signature.join('+')}`);
  const model = new MultimodalModel(g, cfg, signature);
  const out = model.forward(declareModelInputs(g, cfg, signature), { training: true, encodersOnly: true });
  const logScale = g.withScope('contrastive', () => logitScaleParam(g));
  const metrics: Record<string, Value> = {};
  const terms: Value[] = [];
  for (let i = 0; i < signature.length; i++) {
    for (let j = i + 1; j < signature.length; j++) {
      const [a, b] = [signature[i]!, signature[j]!];
      const term = symmetricInfoNce(out.embeddings[a]!, out.embeddings[b]!, logScale); // []
      metrics[`nce_${a}_${b}`] = term;
      terms.push(term);
    }
  }
  const loss = op.div(terms.reduce((s, t) => op.add(s, t)), terms.length); // [] mean over pairs
  metrics.logit_scale = op.identity(logScale);
  return { graph: g, loss, metrics, updateMasks: new Map() };
}
