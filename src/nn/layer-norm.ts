/** LayerNorm over the last dim (Ba et al. 2016), one LayerNormalization op. */
import type { Graph } from '../graph/graph.js';
import * as op from '../graph/ops/index.js';
import { onesInit, zerosInit } from '../graph/param-init.js';
import type { Value } from '../graph/value.js';
import { validateConfig, type ConfigOf, type ConfigSchema } from './config.js';

export interface LayerNormConfig {
  /** Size of the normalised last dim. */
  dim: number;
  /** Added to the variance before the square root (default 1e-5, as PyTorch). */
  epsilon?: number;
  /** Adds a learned shift `bias` [dim] (default true; nanoGPT allows turning it off). */
  bias?: boolean;
}

export const LAYER_NORM_SCHEMA = {
  dim: { type: 'integer', min: 1 },
  epsilon: { type: 'number', min: 0, default: 1e-5 },
  bias: { type: 'boolean', default: true },
} as const satisfies ConfigSchema<LayerNormConfig>;

/**
 * y = (x − mean) / sqrt(var + ε) · weight + bias, statistics over the last dim
 * (biased variance). Parameters: `weight` [dim] = 1 and `bias` [dim] = 0
 * (PyTorch names; ONNX calls the weight Scale).
 */
export class LayerNorm {
  readonly cfg: ConfigOf<typeof LAYER_NORM_SCHEMA>;
  /** Parameter path prefix, e.g. `enc.layers.0.ln1`. */
  readonly path: string;
  readonly weight: Value; // [D]
  readonly bias: Value | null; // [D]

  /** Creates parameters `<scope>.<name>.weight` and `<scope>.<name>.bias`. */
  constructor(
    readonly g: Graph,
    readonly name: string,
    cfg: LayerNormConfig,
  ) {
    this.path = g.scope ? `${g.scope}.${name}` : name;
    this.cfg = validateConfig(cfg, LAYER_NORM_SCHEMA, `LayerNorm config at ${this.path}`);
    const { dim } = this.cfg;
    [this.weight, this.bias] = g.withScope(name, () => [
      g.param('weight', [dim], onesInit), // [D]
      this.cfg.bias ? g.param('bias', [dim], zerosInit) : null, // [D]
    ]);
  }

  /** [..., D] → [..., D]. */
  apply(x: Value): Value {
    const last = x.shape[x.rank - 1];
    if (x.rank === 0 || (typeof last === 'number' && last !== this.cfg.dim)) {
      throw new Error(`LayerNorm ${this.path}: input last dim must be ${this.cfg.dim}, got [${x.shape.join(', ')}]`);
    }
    return this.g.withScope(this.name, () => op.layerNorm(x, this.weight, this.bias, { axis: -1, epsilon: this.cfg.epsilon })); // [..., D]
  }
}
