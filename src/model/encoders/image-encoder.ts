/**
 * Image encoder (ViT, Dosovitskiy et al. 2021, without the class token):
 * normalise the [0, 1] pixels per channel, cut P×P patches, project them
 * linearly, add factorised learned 2-D positions (a row and a column table,
 * so any H, W up to imageSize works), then the transformer stack; pooled =
 * mean over patches.
 */
import type { Graph } from '../../graph/graph.js';
import { hostTensor } from '../../graph/host-tensor.js';
import * as op from '../../graph/ops/index.js';
import { formatShape } from '../../graph/shape.js';
import type { Value } from '../../graph/value.js';
import { Embedding } from '../../nn/embedding.js';
import { Linear } from '../../nn/linear.js';
import { PIXEL_STATS, validateImageEncoderConfig, type ImageEncoderConfig, type ImageEncoderOptions, type PixelNormalization } from './config.js';
import { checkInput, EncoderStack, gridPositions, positionRows, type EncoderOutput } from './encoder-common.js';
import { patchify, type PatchifyOptions } from './patchify.js';

/**
 * (x − mean[c]) / std[c] for RGB x [..., 3, H, W], as one Sub and one Mul by
 * constants [3, 1, 1]; the identity for 'none'.
 */
export function normalizePixels(x: Value, normalization: PixelNormalization): Value {
  if (normalization === 'none') return x;
  const { mean, std } = PIXEL_STATS[normalization];
  const g = x.graph;
  const m = g.constant(hostTensor('float32', [3, 1, 1], Float32Array.from(mean))); // [3, 1, 1]
  const s = g.constant(hostTensor('float32', [3, 1, 1], Float32Array.from(std, (v) => 1 / v))); // [3, 1, 1]
  return op.mul(op.sub(x, m), s); // [..., 3, H, W]
}

/**
 * Checks pixels [..., 3, H, W]: 3 channels, static H and W divisible by
 * `patch` and ≤ `maxSize`. Errors name `what` (encoder and input) and the shape.
 */
export function checkFrameSize(x: Value, what: string, maxSize: number, patch: number): void {
  const [h, w] = x.shape.slice(-2);
  for (const [d, name] of [[h, 'height'], [w, 'width']] as const) {
    if (typeof d !== 'number') throw new Error(`${what} ${formatShape(x.shape)}: ${name} must be a static size, got '${d}'`);
    if (d % patch !== 0) throw new Error(`${what} ${formatShape(x.shape)}: ${name} ${d} is not divisible by patch size ${patch}`);
    if (d > maxSize) throw new Error(`${what} ${formatShape(x.shape)}: ${name} ${d} exceeds the configured size ${maxSize}`);
  }
  if (x.shape[x.rank - 3] !== 3) throw new Error(`${what} ${formatShape(x.shape)}: expected 3 (RGB) channels, got ${x.shape[x.rank - 3]}`);
}

/** The layers of a pixel encoder: patch projection, one position table per grid axis (no time axis for images), stack. */
export interface PatchEncoderLayers {
  patch: Linear;
  times?: Embedding;
  rows: Embedding;
  cols: Embedding;
  stack: EncoderStack;
}

/**
 * What ImageEncoder and VideoEncoder run inside their scope: normalise the
 * pixels, cut patches (tubelets), project them with `layers.patch`, add the
 * factorised positions of the time (video), row and column tables, then the
 * stack; pooled = mean over patches.
 */
export function encodePatches(x: Value, layers: PatchEncoderLayers, o: PatchifyOptions & { normalization: PixelNormalization }): EncoderOutput {
  const normed = normalizePixels(x, o.normalization); // [B, (F,) 3, H, W]
  const { patches, grid } = patchify(normed, o); // [B, N, 3·t·P·P]
  const axes = (['times', 'rows', 'cols'] as const).filter((a) => layers[a]);
  const pos = gridPositions(axes.map((a) => positionRows(layers[a]!.weight, grid[a]))); // [N, D]
  return layers.stack.applyPooled(op.add(layers.patch.apply(patches), pos)); // [B, N, D], [B, D]
}

/**
 * Parameters `<path>.patch.{weight [3·P·P, D], bias}`, `<path>.rows.weight`
 * and `<path>.cols.weight` [imageSize / P, D], and the stack's.
 */
export class ImageEncoder {
  readonly cfg: ImageEncoderOptions;
  readonly path: string;
  readonly patch: Linear;
  readonly rows: Embedding;
  readonly cols: Embedding;
  readonly stack: EncoderStack;

  constructor(
    readonly g: Graph,
    readonly name: string,
    cfg: ImageEncoderConfig,
  ) {
    this.path = g.scope ? `${g.scope}.${name}` : name;
    this.cfg = validateImageEncoderConfig(cfg, `ImageEncoder config at ${this.path}`);
    const { dim, imageSize, patchSize } = this.cfg;
    const grid = imageSize / patchSize;
    [this.patch, this.rows, this.cols, this.stack] = g.withScope(name, () => [
      new Linear(g, 'patch', { inFeatures: 3 * patchSize * patchSize, outFeatures: dim }),
      new Embedding(g, 'rows', { vocabSize: grid, dim }),
      new Embedding(g, 'cols', { vocabSize: grid, dim }),
      new EncoderStack(g, this.cfg),
    ]);
  }

  /** Tokens for an H×W image: (H / patchSize)·(W / patchSize). */
  tokenCount(height = this.cfg.imageSize, width = height): number {
    return (height / this.cfg.patchSize) * (width / this.cfg.patchSize);
  }

  /**
   * RGB pixels float32 [B, 3, H, W] in [0, 1] → tokens [B, (H/P)·(W/P), D]
   * (row-major patch order, see patchify.ts), pooled [B, D]. H and W must be
   * static, divisible by patchSize and ≤ imageSize.
   */
  apply(pixels: Value): EncoderOutput {
    const what = `ImageEncoder ${this.path}: input pixels`;
    checkInput(pixels, what, ['float32'], ['batch', '3', 'height', 'width']);
    checkFrameSize(pixels, what, this.cfg.imageSize, this.cfg.patchSize);
    const { patchSize: patch, normalization } = this.cfg;
    return this.g.withScope(this.name, () => encodePatches(pixels, this, { patch, what, normalization })); // [B, N, D], [B, D]
  }
}
