/**
 * Where a shard (or a test) gets its model: a model folder
 * (train/model-folder.ts), or a named config with random weights drawn from
 * a seed (tests and demos; the same seed gives the same weights everywhere,
 * so a gateway and its shards agree without a folder).
 */
import type { HostTensor } from '../../graph/host-tensor.js';
import { loadModelConfig, type ModelConfig } from '../../model/config.js';
import { randomModelParams } from '../../model/inference-graphs.js';
import { loadModelFolder } from '../../train/model-folder.js';

export interface ModelSource {
  /** A model folder. */
  model?: string;
  /** Or a named config (configs/models) or a config JSON path, with random weights from `seed`. */
  config?: string;
  seed?: number;
}

/** Loads the model of a source; `what` says where it came from (for logs). */
export async function loadModelSource(src: ModelSource): Promise<{ cfg: ModelConfig; params: Map<string, HostTensor>; what: string }> {
  if (src.model && src.config) throw new Error('give either a model folder (--model) or a config with random weights (--config), not both');
  if (src.model) {
    const f = await loadModelFolder(src.model);
    return { cfg: f.cfg, params: f.params, what: `model folder ${src.model}` };
  }
  if (src.config) {
    const cfg = loadModelConfig(src.config);
    const seed = src.seed ?? 0;
    return { cfg, params: randomModelParams(cfg, seed), what: `${cfg.core.name} with random weights (seed ${seed})` };
  }
  throw new Error('no model: give --model DIR (a model folder) or --config NAME --seed S (random weights)');
}
