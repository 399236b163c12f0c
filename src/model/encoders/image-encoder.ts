/**
 * Image encoder (ViT, Dosovitskiy et al. 2021, without the class token):
 * normalise the [0, 1] pixels per channel, cut P×P patches and project them
 * linearly (stem 'patch') or run a convolutional stem to the same grid (stem
 * 'conv', Xiao et al. 2021), add factorised learned 2-D positions (a row and
 * a column table, so any H, W up to imageSize works), then the transformer
 * stack; pooled = mean over patches.
 */
import type { Graph } from '../../graph/graph.js';
import { hostTensor } from '../../graph/host-tensor.js';
import * as op from '../../graph/ops/index.js';
import { formatShape } from '../../graph/shape.js';
import type { Value } from '../../graph/value.js';
import { Embedding } from '../../nn/embedding.js';
import { Linear } from '../../nn/linear.js';
import { PIXEL_STATS, validateImageEncoderConfig, type ImageEncoderConfig, type ImageEncoderOptions, type PixelNormalization } from './config.js';
import { checkInput, EncoderStack, gridPositions, positionRows, type EncodeOptions, type EncoderResult } from './encoder-common.js';
import { patchify, type PatchGrid, type PatchifyOptions } from './patchify.js';
import { ConvStem } from '../../nn/conv-stem.js';

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

/** The layers of a pixel encoder: patch projection or conv stem, one position table per grid axis (no time axis for images), stack. */
export interface PatchEncoderLayers {
  patch?: Linear;
  stem?: ConvStem;
  /** Video only: a conv stem of each tubelet's first frame, added to its tokens (VideoEncoderConfig.appearance). */
  appearance?: ConvStem;
  times?: Embedding;
  rows: Embedding;
  cols: Embedding;
  stack: EncoderStack;
}

/**
 * What ImageEncoder and VideoEncoder run inside their scope: normalise the
 * pixels, cut patches (tubelets), project them with `layers.patch`, add the
 * factorised positions of the time (video), row and column tables, then the
 * stack; pooled = mean over patches. `o.pooledOnly`: see EncoderStack.applyPooled.
 */
export function encodePatches<P extends boolean = false>(
  x: Value,
  layers: PatchEncoderLayers,
  o: PatchifyOptions & { normalization: PixelNormalization } & EncodeOptions<P>,
): EncoderResult<P> {
  const normed = normalizePixels(x, o.normalization); // [B, (F,) 3, H, W]
  const { tokens: motion, grid } = layers.stem ? convTokens(normed, layers.stem, o) : linearPatchTokens(normed, layers.patch!, o); // [B, N, D]
  const tokens = layers.appearance ? op.add(motion, appearanceTokens(normed, layers.appearance, o.tubelet ?? 1)) : motion; // [B, N, D]
  const axes = (['times', 'rows', 'cols'] as const).filter((a) => layers[a]);
  const pos = gridPositions(axes.map((a) => positionRows(layers[a]!.weight, grid[a]))); // [N, D]
  return layers.stack.applyPooled(op.add(tokens, pos), undefined, o); // [B, N, D], [B, D]
}

/** Linear patch embedding: patchify, then one projection of each patch. */
function linearPatchTokens(x: Value, patch: Linear, o: PatchifyOptions): { tokens: Value; grid: PatchGrid } {
  const { patches, grid } = patchify(x, o); // [B, N, 3·t·P·P]
  return { tokens: patch.apply(patches), grid }; // [B, N, D]
}

/**
 * Conv stem tokens in patchify's order (time, row, column): an image goes in
 * channels-last; a video's t frames of each tubelet are stacked as 3·t
 * channels (order frame, then RGB), so the first convolution sees motion.
 */
function convTokens(x: Value, stem: ConvStem, o: PatchifyOptions): { tokens: Value; grid: PatchGrid } {
  const t = o.tubelet ?? 1;
  const [f, c, h, w] = (x.rank === 5 ? x.shape.slice(1) : [1, ...x.shape.slice(1)]) as number[];
  const grid = { times: f / t, rows: h / o.patch, cols: w / o.patch };
  const n = grid.times * grid.rows * grid.cols;
  const channelsLast =
    x.rank === 4
      ? op.transpose(x, [0, 2, 3, 1]) // [B, H, W, 3]
      : op.reshape(op.transpose(op.reshape(x, [0, f / t, t, c, h, w]), [0, 1, 4, 5, 2, 3]), [0, f / t, h, w, t * c]); // [B, Ft, H, W, t·3]
  const tokens = op.reshape(stem.apply(channelsLast), [0, n, stem.cfg.dim]); // [B, Ft·Hp·Wp, D]
  return { tokens, grid };
}

/**
 * The conv stem's tokens of each tubelet's first frame, in patchify's order
 * (time, row, column): frames [B, F, 3, H, W] → [B, (F/t)·(H/P)·(W/P), D].
 * The first frames are cut by Reshape and Split (no strided Slice).
 */
function appearanceTokens(x: Value, stem: ConvStem, t: number): Value {
  const [f, c, h, w] = x.shape.slice(1) as number[];
  const tubelets = op.reshape(x, [0, f / t, t, c, h, w]); // [B, F/t, t, 3, H, W]
  const first = t === 1 ? tubelets : op.split(tubelets, [1, t - 1], 2)[0]!; // [B, F/t, 1, 3, H, W]
  const channelsLast = op.transpose(op.squeeze(first, [2]), [0, 1, 3, 4, 2]); // [B, F/t, H, W, 3]
  return op.reshape(stem.apply(channelsLast), [0, -1, stem.cfg.dim]); // [B, (F/t)·Hp·Wp, D]
}

/**
 * Parameters `<path>.patch.{weight [3·P·P, D], bias}` (stem 'patch') or `<path>.stem.*`
 * (stem 'conv'), `<path>.rows.weight`
 * and `<path>.cols.weight` [imageSize / P, D], and the stack's.
 */
export class ImageEncoder {
  readonly cfg: ImageEncoderOptions;
  readonly path: string;
  readonly patch?: Linear;
  readonly stem?: ConvStem;
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
    [this.patch, this.stem, this.rows, this.cols, this.stack] = g.withScope(name, () => [
      this.cfg.stem === 'patch' ? new Linear(g, 'patch', { inFeatures: 3 * patchSize * patchSize, outFeatures: dim }) : undefined,
      this.cfg.stem === 'conv' ? new ConvStem(g, 'stem', { inChannels: 3, dim, patch: patchSize, width: this.cfg.stemWidth }) : undefined,
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
   * static, divisible by patchSize and ≤ imageSize. `o.pooledOnly`: see
   * EncoderStack.applyPooled.
   */
  apply<P extends boolean = false>(pixels: Value, o: EncodeOptions<P> = {}): EncoderResult<P> {
    const what = `ImageEncoder ${this.path}: input pixels`;
    checkInput(pixels, what, ['float32'], ['batch', '3', 'height', 'width']);
    checkFrameSize(pixels, what, this.cfg.imageSize, this.cfg.patchSize);
    const { patchSize: patch, normalization } = this.cfg;
    return this.g.withScope(this.name, () => encodePatches(pixels, this, { ...o, patch, what, normalization })); // [B, N, D], [B, D]
  }
}
