/**
 * A training objective traced for one (stage, modality signature): the graph
 * with its data inputs, the scalar loss, metrics, and update masks for
 * gradient isolation of idle experts. Input names are fixed per stage (see
 * each objective) so the batch builder and the objective agree.
 */
import type { Graph } from '../../graph/graph.js';
import type { Value } from '../../graph/value.js';
import type { MoeOutput } from '../../moe/moe-layer.js';
import type { Modality } from '../../model/modalities.js';

export type Stage = 1 | 2 | 3;

/** What a batch trains: the stage and, within it, the task and the modalities it reads. */
export interface TaskKey {
  stage: Stage;
  /** Stage 1: 'lm' (text), 'masked' (image/audio/video); stage 2: 'contrastive'; stage 3: 'instruct'. */
  task: 'lm' | 'masked' | 'contrastive' | 'instruct';
  signature: Modality[];
}

export function taskId(k: TaskKey): string {
  return `s${k.stage}.${k.task}.${k.signature.join('+')}`;
}

export interface Objective {
  graph: Graph;
  loss: Value;
  /** Scalar metrics fetched every step (loss terms). */
  metrics: Record<string, Value>;
  /** For buildTrainingGraph: idle experts keep their parameters and state. */
  updateMasks: Map<string, Value>;
}

/** The union of the MoE layers’ expert update masks. */
export function expertUpdateMasks(moe: readonly MoeOutput[]): Map<string, Value> {
  const masks = new Map<string, Value>();
  for (const m of moe) for (const [k, v] of m.expertUpdateMasks) masks.set(k, v);
  return masks;
}
