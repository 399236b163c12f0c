/**
 * A convolutional stem (Xiao et al. 2021, "Early Convolutions Help
 * Transformers See Better"): stride-2 3×3 convolutions, each followed by a
 * channel LayerNorm and GELU, then a 1×1 projection to the token width, in
 * place of a ViT's linear patch embedding. log2(P) convolutions turn an H×W
 * image into the same (H/P)×(W/P) token grid a P×P patchify gives.
 *
 * Our graph has no Conv op, so a 3×3 stride-2 convolution is an im2col —
 * the 9 shifted stride-2 views of channels-last [..., H, W, C], cut by
 * Reshape and Split — and one Linear over the 9·C taps. Padding is one
 * zero row/column at the top/left only: output row i reads input rows 2i−1,
 * 2i, 2i+1, and 2i+1 ≤ H−1 for every i when H is even, so no bottom/right
 * padding is ever read.
 */
import type { Graph } from '../graph/graph.js';
import * as op from '../graph/ops/index.js';
import type { Value } from '../graph/value.js';
import { validateConfig, type ConfigOf, type ConfigSchema } from './config.js';
import { LayerNorm } from './layer-norm.js';
import { Linear } from './linear.js';

export interface ConvStemConfig {
  /** Input channels (3 for RGB). */
  inChannels: number;
  /** Output width D of the tokens. */
  dim: number;
  /** Downsampling factor P, a power of two ≥ 2: log2(P) stride-2 convolutions. */
  patch: number;
  /** Channels of the last convolution (default D/2); each earlier one has half the next's. */
  width?: number;
}

export const CONV_STEM_SCHEMA = {
  inChannels: { type: 'integer', min: 1 },
  dim: { type: 'integer', min: 1 },
  patch: { type: 'integer', min: 2 },
  width: { type: 'integer', min: 1, optional: true },
} as const satisfies ConfigSchema<ConvStemConfig>;

/**
 * Channel widths of the stem's convolutions, doubling up to `width`, e.g.
 * P 8, width 64 → [16, 32, 64]. The default width D/2 (half of Xiao et al.'s,
 * which end at D) costs a quarter of the FLOPs and still learned shapes far
 * faster than a patch projection in scripts/probe-image-stem.ts.
 */
export function convStemWidths(width: number, patch: number): number[] {
  const n = Math.log2(patch);
  return Array.from({ length: n }, (_, i) => Math.max(1, Math.round(width / 2 ** (n - 1 - i))));
}

/**
 * Rows 2i+d (d ∈ {−1, 0, 1}) of x along `axis` for every output i; row −1 is
 * zeros. Built from Reshape and Split only (no strided Slice): their
 * gradients are a Concat and a Reshape, where a Slice's is a ScatterElements
 * that took 14% of an image-encoder training step.
 */
function strided(x: Value, axis: number, size: number): Value[] {
  const half = size / 2;
  const pairs = op.reshape(x, x.shape.map((d, i) => (i < axis ? 0 : i === axis ? [half, 2] : (d as number))).flat()); // [..., size/2, 2, ...]
  const [even, odd] = op.split(pairs, [1, 1], axis + 1).map((v) => op.squeeze(v, [axis + 1])); // rows 0, 2, … and 1, 3, …
  if (half === 1) return [op.mul(odd!, 0), even!, odd!];
  const [kept, last] = op.split(odd!, [half - 1, 1], axis); // rows 1, …, size−3 and size−1
  return [op.concat([op.mul(last!, 0), kept!], axis), even!, odd!]; // rows −1 (zeros), 1, …, size−3
}

export class ConvStem {
  readonly cfg: ConfigOf<typeof CONV_STEM_SCHEMA>;
  readonly path: string;
  readonly convs: Linear[];
  readonly norms: LayerNorm[];
  readonly proj: Linear;

  /** Parameters `<path>.convs.<i>.{weight [9·C_in, C_out], bias}`, `<path>.norms.<i>.*`, `<path>.proj.*`. */
  constructor(
    readonly g: Graph,
    readonly name: string,
    cfg: ConvStemConfig,
  ) {
    this.path = g.scope ? `${g.scope}.${name}` : name;
    this.cfg = validateConfig(cfg, CONV_STEM_SCHEMA, `ConvStem config at ${this.path}`);
    const { inChannels, dim, patch } = this.cfg;
    if (!Number.isInteger(Math.log2(patch))) throw new Error(`ConvStem config at ${this.path}: patch ${patch} is not a power of two`);
    const widths = convStemWidths(this.cfg.width ?? Math.max(1, Math.round(dim / 2)), patch);
    const ins = [inChannels, ...widths.slice(0, -1)];
    [this.convs, this.norms, this.proj] = g.withScope(name, () => [
      g.withScope('convs', () => widths.map((w, i) => new Linear(g, String(i), { inFeatures: 9 * ins[i]!, outFeatures: w }))),
      g.withScope('norms', () => widths.map((w, i) => new LayerNorm(g, String(i), { dim: w }))),
      new Linear(g, 'proj', { inFeatures: widths[widths.length - 1]!, outFeatures: dim }),
    ]);
  }

  /** Channels-last pixels [..., H, W, C] (H, W static, divisible by P) → tokens [..., H/P, W/P, D]. */
  apply(x: Value): Value {
    const [h, w, c] = x.shape.slice(-3);
    if (x.rank < 3 || typeof h !== 'number' || typeof w !== 'number' || c !== this.cfg.inChannels || h % this.cfg.patch || w % this.cfg.patch) {
      throw new Error(
        `ConvStem ${this.path}: expected [..., H, W, ${this.cfg.inChannels}] with static H, W divisible by ${this.cfg.patch}, got [${x.shape.join(', ')}]`,
      );
    }
    const [rowAxis, colAxis, channelAxis] = [x.rank - 3, x.rank - 2, x.rank - 1];
    return this.g.withScope(this.name, () => {
      let y = x; // [..., H, W, C]
      let [hh, ww] = [h, w];
      this.convs.forEach((conv, i) => {
        const taps = strided(y, rowAxis, hh).flatMap((rows) => strided(rows, colAxis, ww)); // 9 × [..., H/2, W/2, C], tap order (dy, dx)
        y = op.gelu(this.norms[i]!.apply(conv.apply(op.concat(taps, channelAxis)))); // [..., H/2, W/2, C_out]
        [hh, ww] = [hh / 2, ww / 2];
      });
      return this.proj.apply(y); // [..., H/P, W/P, D]
    });
  }
}
