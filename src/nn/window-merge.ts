/**
 * Overlapping window merging: the tokens of each w×w window of a G×G token
 * grid, windows placed every s tokens (s < w: neighbouring windows overlap),
 * are concatenated (w²·D features) and projected to D, with a learned
 * embedding of each window's place added. A G×G grid becomes
 * ((G − w)/s + 1)² tokens. Overlapping patch embedding as in CvT (Wu et al.
 * 2021) and PVT v2 (Wang et al. 2022), applied to tokens instead of pixels:
 * something that spans a block boundary of a k×k merge (PatchMerge) still
 * falls whole inside one window of side 2k at stride k.
 *
 * No norm before the projection: the inputs it was made for are differences
 * of two frames' tokens, where a window with no change is ≈ 0 and a norm
 * would blow its noise up (see PatchMerge's `normalize`).
 *
 * Tokens arrive as [B, G·G, D], one row-major G×G grid.
 */
import type { Graph } from '../graph/graph.js';
import * as op from '../graph/ops/index.js';
import type { Value } from '../graph/value.js';
import { validateConfig, type ConfigOf, type ConfigSchema } from './config.js';
import { Linear } from './linear.js';

export interface WindowMergeConfig {
  /** Output token width D. */
  dim: number;
  /** Input token width (default D), e.g. 2D for two frames' features side by side. */
  inDim?: number;
  /** Side G of the token grid. */
  grid: number;
  /** Window side w (≤ G). */
  window: number;
  /** Step s between windows; (G − w) must be a multiple of it. */
  stride: number;
}

export const WINDOW_MERGE_SCHEMA = {
  dim: { type: 'integer', min: 1 },
  inDim: { type: 'integer', min: 1, optional: true },
  grid: { type: 'integer', min: 1 },
  window: { type: 'integer', min: 1 },
  stride: { type: 'integer', min: 1 },
} as const satisfies ConfigSchema<WindowMergeConfig>;

/** Row-major token indices of every window, window by window: [windows, w²]. */
export function windowTokenIndices(grid: number, window: number, stride: number): number[][] {
  const side = (grid - window) / stride + 1;
  const out: number[][] = [];
  for (let wr = 0; wr < side; wr++) {
    for (let wc = 0; wc < side; wc++) {
      const rows: number[] = [];
      for (let r = 0; r < window; r++) for (let c = 0; c < window; c++) rows.push((wr * stride + r) * grid + wc * stride + c);
      out.push(rows);
    }
  }
  return out;
}

export class WindowMerge {
  readonly cfg: ConfigOf<typeof WINDOW_MERGE_SCHEMA>;
  readonly path: string;
  readonly proj: Linear;
  /** Learned embedding of each window's place [windows, D]. */
  readonly places: Value;

  /** Parameters `<path>.proj.{weight [w²·D_in, D], bias}` and `<path>.places` [windows, D]. */
  constructor(
    readonly g: Graph,
    readonly name: string,
    cfg: WindowMergeConfig,
  ) {
    this.path = g.scope ? `${g.scope}.${name}` : name;
    this.cfg = validateConfig(cfg, WINDOW_MERGE_SCHEMA, `window merge config at ${this.path}`);
    const { dim, grid, window, stride } = this.cfg;
    const inDim = this.cfg.inDim ?? dim;
    if (window > grid) throw new Error(`window merge ${this.path}: window ${window} is larger than the token grid side ${grid}`);
    if ((grid - window) % stride !== 0) throw new Error(`window merge ${this.path}: stride ${stride} does not step from 0 to grid − window (${grid - window})`);
    [this.proj, this.places] = g.withScope(name, () => [
      new Linear(g, 'proj', { inFeatures: window * window * inDim, outFeatures: dim }),
      g.param('places', [this.windows, dim], { kind: 'normal', std: 0.02 }), // [windows, D]
    ]);
  }

  /** Windows per grid: ((G − w)/s + 1)². */
  get windows(): number {
    const { grid, window, stride } = this.cfg;
    return ((grid - window) / stride + 1) ** 2;
  }

  /** x [B, G·G, D_in] → [B, windows, D], window by window in row-major order. */
  apply(x: Value): Value {
    const { dim, grid, window, stride } = this.cfg;
    const inDim = this.cfg.inDim ?? dim;
    if (x.shape[1] !== grid * grid || x.shape[2] !== inDim) {
      throw new Error(`window merge ${this.path}: expected [B, ${grid * grid}, ${inDim}] tokens, got ${x.shape.join('×')}`);
    }
    const idx = windowTokenIndices(grid, window, stride);
    return this.g.withScope(this.name, () => {
      const at = this.g.constant({ dtype: 'int64', shape: [idx.length * window * window], data: BigInt64Array.from(idx.flat(), BigInt) });
      const picked = op.gather(x, at, 1); // [B, windows·w², D]
      const flat = op.reshape(picked, [0, idx.length, window * window * inDim]); // [B, windows, w²·D_in]
      return op.add(this.proj.apply(flat), this.places); // [B, windows, D] + [windows, D]
    });
  }
}
