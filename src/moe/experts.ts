/**
 * The experts: E independent FFNs (Linear D→H, GELU, Linear H→D), each with
 * its own parameters `experts.<e>.{w1,b1,w2,b2}` so pruning and
 * expert-parallel sharding can address one expert. Each expert runs on its
 * own [C, D] slice of the dispatch buffer (apply), or on exactly its own rows
 * of the compact dropless layout (applyRows, see dropless.ts), never on all N
 * tokens.
 */
import type { Graph } from '../graph/graph.js';
import * as op from '../graph/ops/index.js';
import type { Value } from '../graph/value.js';
import { validateConfig, type ConfigOf, type ConfigSchema } from '../nn/config.js';
import { paramMaker, type ParamSource } from './config.js';

export interface ExpertsConfig {
  /** Model width D (input and output of every expert). */
  dim: number;
  /** Hidden width H of each expert. */
  hidden: number;
  /** Number of experts E. */
  numExperts: number;
}

export const EXPERTS_SCHEMA = {
  dim: { type: 'integer', min: 1 },
  hidden: { type: 'integer', min: 1 },
  numExperts: { type: 'integer', min: 1 },
} as const satisfies ConfigSchema<ExpertsConfig>;

/** Names of one expert's parameters, in order. */
export const EXPERT_PARAM_NAMES = ['w1', 'b1', 'w2', 'b2'] as const;

/**
 * One expert: y = GELU(x·w1 + b1)·w2 + b2, weights stored [in, out] as
 * nn.Linear. Init as nn.Linear's default: U(±1/√fan_in) for weights and biases.
 */
export class ExpertFfn {
  /** Parameter path prefix, e.g. `moe.experts.3`. */
  readonly path: string;
  readonly w1: Value; // [D, H]
  readonly b1: Value; // [H]
  readonly w2: Value; // [H, D]
  readonly b2: Value; // [D]

  constructor(
    readonly g: Graph,
    readonly name: string,
    readonly dim: number,
    readonly hidden: number,
    o: { param?: ParamSource } = {},
  ) {
    this.path = g.scope ? `${g.scope}.${name}` : name;
    const param = paramMaker(g, this.path, o.param);
    const u = (fanIn: number) => ({ kind: 'uniform', bound: 1 / Math.sqrt(fanIn) }) as const;
    [this.w1, this.b1, this.w2, this.b2] = g.withScope(name, () => [
      param('w1', [dim, hidden], u(dim)), // [D, H]
      param('b1', [hidden], u(dim)), // [H]
      param('w2', [hidden, dim], u(hidden)), // [H, D]
      param('b2', [dim], u(hidden)), // [D]
    ]);
  }

  /** Parameter paths of this expert. */
  get paramPaths(): string[] {
    return EXPERT_PARAM_NAMES.map((p) => `${this.path}.${p}`);
  }

  /** [..., C, D] → [..., C, D]. */
  apply(x: Value): Value {
    return this.g.withScope(this.name, () => {
      const h = op.gelu(op.add(op.matmul(x, this.w1), this.b1)); // [..., C, H]
      return op.add(op.matmul(h, this.w2), this.b2); // [..., C, D]
    });
  }
}

/** E experts under `<scope>.<name>`. */
export class Experts {
  readonly cfg: ConfigOf<typeof EXPERTS_SCHEMA>;
  readonly path: string;
  readonly experts: readonly ExpertFfn[];

  constructor(
    readonly g: Graph,
    readonly name: string,
    cfg: ExpertsConfig,
    o: { param?: ParamSource } = {},
  ) {
    this.path = g.scope ? `${g.scope}.${name}` : name;
    this.cfg = validateConfig(cfg, EXPERTS_SCHEMA, `Experts config at ${this.path}`);
    const { dim, hidden, numExperts } = this.cfg;
    this.experts = g.withScope(name, () => Array.from({ length: numExperts }, (_, e) => new ExpertFfn(g, String(e), dim, hidden, o)));
  }

  /** Runs expert e on buffer[e] only: [E, C, D] → [E, C, D]. */
  apply(buffer: Value): Value {
    const E = this.cfg.numExperts;
    return this.g.withScope(this.name, () => {
      const slices = E === 1 ? [buffer] : op.split(buffer, Array<number>(E).fill(1), 0); // E × [1, C, D]
      // Kept 3-D ([1, C, D]) so ONNX Runtime fuses MatMul + bias + GELU as it does for dense FFNs.
      const outs = slices.map((s, e) => this.experts[e]!.apply(s)); // E × [1, C, D]
      return op.concat(outs, 0); // [E, C, D]
    });
  }

  /**
   * Runs expert e on its own n_e rows of the compact layout: `table` [R]
   * holds the token (row of x [N, D]) of each row, expert by expert, and
   * `counts` [E] the rows per expert (Σ = R, known only at run time).
   * Returns the outputs in the same row order, [R, D].
   */
  applyRows(x: Value, table: Value, counts: Value): Value {
    const { numExperts: E, dim } = this.cfg;
    return this.g.withScope(this.name, () => {
      const tables = E === 1 ? [table] : op.split(table, counts, 0); // E × [n_e]
      // Kept 3-D ([1, n_e, D]) as in apply, so ONNX Runtime fuses MatMul + bias + GELU.
      const outs = tables.map((t, e) => this.experts[e]!.apply(op.gather(x, op.unsqueeze(t, [0])))); // E × [1, n_e, D]
      return op.reshape(op.concat(outs, 1), [-1, dim]); // [R, D]
    });
  }
}
