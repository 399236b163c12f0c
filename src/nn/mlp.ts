/** MLP: Linear → activation → Linear, the transformer feed-forward block. */
import type { Graph } from '../graph/graph.js';
import * as op from '../graph/ops/index.js';
import type { Value } from '../graph/value.js';
import { validateConfig, type ConfigOf, type ConfigSchema } from './config.js';
import { Linear } from './linear.js';

export type Activation = 'gelu' | 'relu' | 'tanh';

export interface MlpConfig {
  /** Size of the input's last dim. */
  inFeatures: number;
  /** Size of the hidden layer (commonly 4 × inFeatures). */
  hiddenFeatures: number;
  /** Size of the output's last dim (default inFeatures). */
  outFeatures?: number;
  /** Activation between the layers (default 'gelu', exact erf form). */
  activation?: Activation;
  /** Both layers have a bias (default true). */
  bias?: boolean;
  /** Init of both layers, see LinearConfig.init (default 'uniform'). */
  init?: 'uniform' | 'normal';
  /** Std of the 'normal' init (default 0.02). */
  initStd?: number;
}

export const MLP_SCHEMA = {
  inFeatures: { type: 'integer', min: 1 },
  hiddenFeatures: { type: 'integer', min: 1 },
  outFeatures: { type: 'integer', min: 1, optional: true },
  activation: { type: 'enum', values: ['gelu', 'relu', 'tanh'], default: 'gelu' },
  bias: { type: 'boolean', default: true },
  init: { type: 'enum', values: ['uniform', 'normal'], default: 'uniform' },
  initStd: { type: 'number', min: 0, default: 0.02 },
} as const satisfies ConfigSchema<MlpConfig>;

/** Applies `activation` elementwise. */
export function activate(x: Value, activation: Activation): Value {
  switch (activation) {
    case 'gelu':
      return op.gelu(x); // [..., H]
    case 'relu':
      return op.relu(x); // [..., H]
    case 'tanh':
      return op.tanh(x); // [..., H]
  }
}

/** Parameters `<scope>.<name>.fc1.{weight,bias}` and `<scope>.<name>.fc2.{weight,bias}`. */
export class Mlp {
  readonly cfg: ConfigOf<typeof MLP_SCHEMA>;
  /** Parameter path prefix, e.g. `enc.layers.0.mlp`. */
  readonly path: string;
  readonly fc1: Linear; // [in] → [H]
  readonly fc2: Linear; // [H] → [out]

  constructor(
    readonly g: Graph,
    readonly name: string,
    cfg: MlpConfig,
  ) {
    this.path = g.scope ? `${g.scope}.${name}` : name;
    this.cfg = validateConfig(cfg, MLP_SCHEMA, `Mlp config at ${this.path}`);
    const { inFeatures, hiddenFeatures, outFeatures = inFeatures, bias, init, initStd } = this.cfg;
    [this.fc1, this.fc2] = g.withScope(name, () => [
      new Linear(g, 'fc1', { inFeatures, outFeatures: hiddenFeatures, bias, init, initStd }),
      new Linear(g, 'fc2', { inFeatures: hiddenFeatures, outFeatures, bias, init, initStd }),
    ]);
  }

  /** [..., in] → [..., out]. */
  apply(x: Value): Value {
    return this.g.withScope(this.name, () => {
      const h = this.fc1.apply(x); // [..., H]
      const a = activate(h, this.cfg.activation); // [..., H]
      return this.fc2.apply(a); // [..., out]
    });
  }
}
