/**
 * The router: one linear layer D → E over the tokens, a softmax over all
 * experts, and top-k selection (Shazeer et al. 2017; Fedus et al. 2021,
 * "Switch Transformers", §2.1). In training the router input can be jittered
 * multiplicatively (Switch §2.4).
 */
import type { Graph } from '../graph/graph.js';
import * as op from '../graph/ops/index.js';
import { hashUniform } from '../nn/hash-noise.js';
import type { Value } from '../graph/value.js';
import { validateConfig, type ConfigOf, type ConfigSchema } from '../nn/config.js';
import { paramMaker, type ParamSource } from './config.js';

export interface RouterConfig {
  /** Size D of the token features. */
  dim: number;
  /** Number of experts E (the router's outputs). */
  numExperts: number;
  /** A learned bias [E] on the logits (default false). */
  bias?: boolean;
  /** Std of the weight's truncated-normal init (default 0.02). */
  initStd?: number;
  /** Multiplicative jitter ε: in training the input is scaled by U(1−ε, 1+ε) (default 0 = off). */
  jitter?: number;
}

export const ROUTER_SCHEMA = {
  dim: { type: 'integer', min: 1 },
  numExperts: { type: 'integer', min: 1 },
  bias: { type: 'boolean', default: false },
  initStd: { type: 'number', min: 0, default: 0.02 },
  jitter: { type: 'number', min: 0, max: 1, default: 0 },
} as const satisfies ConfigSchema<RouterConfig>;

export interface RouterOutput {
  /** Router logits [N, E] (what the z-loss penalises). */
  logits: Value;
  /** Softmax over all experts [N, E]. */
  probs: Value;
}

/** Parameters `<scope>.<name>.weight` [D, E] and, with `bias`, `<scope>.<name>.bias` [E]. */
export class Router {
  readonly cfg: ConfigOf<typeof ROUTER_SCHEMA>;
  /** Parameter path prefix, e.g. `fusion.layers.2.moe.router`. */
  readonly path: string;
  readonly weight: Value; // [D, E]
  readonly bias: Value | null; // [E]

  constructor(
    readonly g: Graph,
    readonly name: string,
    cfg: RouterConfig,
    o: { param?: ParamSource } = {},
  ) {
    this.path = g.scope ? `${g.scope}.${name}` : name;
    this.cfg = validateConfig(cfg, ROUTER_SCHEMA, `Router config at ${this.path}`);
    const { dim, numExperts, initStd } = this.cfg;
    const param = paramMaker(g, this.path, o.param);
    [this.weight, this.bias] = g.withScope(name, () => [
      param('weight', [dim, numExperts], { kind: 'normal', std: initStd }), // [D, E]
      this.cfg.bias ? param('bias', [numExperts], { kind: 'zeros' }) : null, // [E]
    ]);
  }

  /** Logits and probabilities for tokens x [N, D]; jitter only when `training`. */
  apply(x: Value, o: { training: boolean; noiseSeed?: Value }): RouterOutput {
    return this.g.withScope(this.name, () => {
      const eps = this.cfg.jitter;
      // Reproducible jitter from a seed input when given (resumable training), else ONNX RandomUniformLike.
      const noise = (lo: number, hi: number) => (o.noiseSeed ? hashUniform(x, o.noiseSeed, lo, hi) : op.randomUniformLike(x, lo, hi));
      const xr = o.training && eps > 0 ? op.mul(x, noise(1 - eps, 1 + eps)) : x; // [N, D]
      const xw = op.matmul(xr, this.weight); // [N, E]
      const logits = this.bias ? op.add(xw, this.bias) : xw; // [N, E]
      return { logits, probs: op.softmax(logits, -1) }; // [N, E]
    });
  }
}

export interface TopKRouting {
  /** Combine weight of each of a token's k experts [N, k]: the softmax probability, renormalised over the k when asked. */
  gates: Value;
  /** The chosen experts, best first [N, k] int64. */
  experts: Value;
}

/** The top-k experts of each token by probability (softmax over all E first, then top-k). */
export function topKRouting(probs: Value, k: number, normalize: boolean): TopKRouting {
  const [top, experts] = op.topk(probs, k, { axis: -1 }); // [N, k], [N, k]
  const gates = normalize ? op.div(top, op.reduceSum(top, [-1], true)) : top; // [N, k]
  return { gates, experts };
}
