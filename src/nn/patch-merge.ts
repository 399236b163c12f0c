/**
 * Patch merging (Swin Transformer, Liu et al. 2021, §3.1): each k×k block of
 * neighbouring tokens on a grid is concatenated (k²·D features), layer-normed
 * and projected back to D, so a G×G grid becomes (G/k)×(G/k) tokens. Between
 * an image or video encoder and the fusion stack it cuts the fused sequence
 * (and the fusion's cost) by k² while keeping what each token saw, as the
 * 2×2 MLP merger of Qwen2-VL (Wang et al. 2024) does before its language model.
 *
 * Tokens arrive as [B, S·G·G, D]: S slices (1 for an image, time steps for a
 * video), each a row-major G×G grid.
 */
import type { Graph } from '../graph/graph.js';
import * as op from '../graph/ops/index.js';
import type { Value } from '../graph/value.js';
import { validateConfig, type ConfigOf, type ConfigSchema } from './config.js';
import { LayerNorm } from './layer-norm.js';
import { Linear } from './linear.js';

export interface PatchMergeConfig {
  /** Token width D (in and out). */
  dim: number;
  /** Side G of each slice's token grid. */
  grid: number;
  /** Block side k; must divide G. */
  merge: number;
  /**
   * Layer-norm the k²·D block before the projection (default true). False for
   * inputs whose size carries the signal, such as differences of two frames'
   * tokens, where a block with no change is ≈ 0 and a norm would blow its noise up.
   */
  normalize?: boolean;
}

export const PATCH_MERGE_SCHEMA = {
  dim: { type: 'integer', min: 1 },
  grid: { type: 'integer', min: 1 },
  merge: { type: 'integer', min: 1 },
  normalize: { type: 'boolean', default: true },
} as const satisfies ConfigSchema<PatchMergeConfig>;

export class PatchMerge {
  readonly cfg: ConfigOf<typeof PATCH_MERGE_SCHEMA>;
  readonly path: string;
  /** The block's layer norm (absent with `normalize: false`). */
  readonly norm?: LayerNorm;
  readonly proj: Linear;

  /** Parameters `<path>.norm.{weight, bias}` [k²·D] (with `normalize`) and `<path>.proj.{weight [k²·D, D], bias}`. */
  constructor(
    readonly g: Graph,
    readonly name: string,
    cfg: PatchMergeConfig,
  ) {
    this.path = g.scope ? `${g.scope}.${name}` : name;
    this.cfg = validateConfig(cfg, PATCH_MERGE_SCHEMA, `patch merge config at ${this.path}`);
    const { dim, grid, merge, normalize } = this.cfg;
    if (grid % merge !== 0) throw new Error(`patch merge ${this.path}: merge ${merge} does not divide the token grid side ${grid}`);
    const wide = merge * merge * dim;
    [this.norm, this.proj] = g.withScope(name, () => [normalize ? new LayerNorm(g, 'norm', { dim: wide }) : undefined, new Linear(g, 'proj', { inFeatures: wide, outFeatures: dim })]);
  }

  /** Tokens per slice after merging: (G/k)². */
  get tokensPerSlice(): number {
    return (this.cfg.grid / this.cfg.merge) ** 2;
  }

  /** x [B, S·G·G, D] → [B, S·(G/k)², D], each output token the k×k block it replaces. */
  apply(x: Value): Value {
    const { dim, grid, merge: k } = this.cfg;
    const n = x.shape[1];
    if ((typeof n === 'number' && n % (grid * grid) !== 0) || x.shape[2] !== dim) {
      throw new Error(`patch merge ${this.path}: expected [B, S·${grid}·${grid}, ${dim}] tokens, got ${x.shape.join('×')}`);
    }
    const h = grid / k;
    return this.g.withScope(this.name, () => {
      const blocks = op.reshape(x, [0, -1, h, k, h, k, dim]); // [B, S, G/k, k, G/k, k, D]
      const grouped = op.transpose(blocks, [0, 1, 2, 4, 3, 5, 6]); // [B, S, G/k, G/k, k, k, D]
      const flat = op.reshape(grouped, [0, -1, k * k * dim]); // [B, S·(G/k)², k²·D]
      return this.proj.apply(this.norm ? this.norm.apply(flat) : flat); // [B, S·(G/k)², D]
    });
  }
}
