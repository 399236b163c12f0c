/** Linear: y = x·W + b over the last dim, for inputs of any rank [..., in] → [..., out]. */
import type { Graph } from '../graph/graph.js';
import * as op from '../graph/ops/index.js';
import type { ParamInit } from '../graph/param-init.js';
import type { Value } from '../graph/value.js';
import { validateConfig, type ConfigOf, type ConfigSchema } from './config.js';

export interface LinearConfig {
  /** Size of the input's last dim. */
  inFeatures: number;
  /** Size of the output's last dim. */
  outFeatures: number;
  /** Adds a learned bias `b` [out] (default true). */
  bias?: boolean;
  /**
   * Initialisation (default 'uniform'). 'uniform': W and b ~ U(±1/sqrt(inFeatures)),
   * PyTorch's nn.Linear default. 'normal': W ~ N(0, initStd²) truncated at ±2σ and
   * b = 0, as in GPT-2 / nanoGPT.
   */
  init?: 'uniform' | 'normal';
  /** Standard deviation of the 'normal' init (default 0.02); unused by 'uniform'. */
  initStd?: number;
}

export const LINEAR_SCHEMA = {
  inFeatures: { type: 'integer', min: 1 },
  outFeatures: { type: 'integer', min: 1 },
  bias: { type: 'boolean', default: true },
  init: { type: 'enum', values: ['uniform', 'normal'], default: 'uniform' },
  initStd: { type: 'number', min: 0, default: 0.02 },
} as const satisfies ConfigSchema<LinearConfig>;

/**
 * A linear layer. The weight is stored as [inFeatures, outFeatures] so the
 * forward pass is one MatMul with no transpose (PyTorch stores [out, in]:
 * transpose when importing its checkpoints).
 */
export class Linear {
  readonly cfg: ConfigOf<typeof LINEAR_SCHEMA>;
  /** Parameter path prefix, e.g. `enc.layers.0.mlp.fc1`. */
  readonly path: string;
  readonly weight: Value; // [in, out]
  readonly bias: Value | null; // [out]

  /** Creates parameters `<scope>.<name>.weight` and `<scope>.<name>.bias`. */
  constructor(
    readonly g: Graph,
    readonly name: string,
    cfg: LinearConfig,
  ) {
    this.path = g.scope ? `${g.scope}.${name}` : name;
    this.cfg = validateConfig(cfg, LINEAR_SCHEMA, `Linear config at ${this.path}`);
    const { inFeatures, outFeatures, init, initStd } = this.cfg;
    const bound = 1 / Math.sqrt(inFeatures);
    const wInit: ParamInit = init === 'uniform' ? { kind: 'uniform', bound } : { kind: 'normal', std: initStd };
    const bInit: ParamInit = init === 'uniform' ? { kind: 'uniform', bound } : { kind: 'zeros' };
    [this.weight, this.bias] = g.withScope(name, () => [
      g.param('weight', [inFeatures, outFeatures], wInit), // [in, out]
      this.cfg.bias ? g.param('bias', [outFeatures], bInit) : null, // [out]
    ]);
  }

  /** y = x·W + b: [..., in] → [..., out]. */
  apply(x: Value): Value {
    const last = x.shape[x.rank - 1];
    if (x.rank === 0 || (typeof last === 'number' && last !== this.cfg.inFeatures)) {
      throw new Error(`Linear ${this.path}: input last dim must be ${this.cfg.inFeatures}, got [${x.shape.join(', ')}]`);
    }
    return this.g.withScope(this.name, () => {
      const y = op.matmul(x, this.weight); // [..., out]
      return this.bias ? op.add(y, this.bias) : y; // [..., out]
    });
  }
}
