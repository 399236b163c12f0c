/**
 * Video encoder (ViViT "tubelet embedding", Arnab et al. 2021): normalise the
 * [0, 1] pixels, cut t×P×P tubelets, project them linearly, add factorised
 * learned positions (time, row and column tables), then the transformer
 * stack; pooled = mean over tubelets. With appearance 'conv' each tubelet
 * token also gets a conv stem's token of the tubelet's first frame.
 */
import type { Graph } from '../../graph/graph.js';
import * as op from '../../graph/ops/index.js';
import { formatShape } from '../../graph/shape.js';
import type { Value } from '../../graph/value.js';
import { Embedding } from '../../nn/embedding.js';
import { ConvStem } from '../../nn/conv-stem.js';
import { Linear } from '../../nn/linear.js';
import { validateVideoEncoderConfig, type VideoEncoderConfig, type VideoEncoderOptions } from './config.js';
import { checkInput, EncoderStack, staticDim, type EncodeOptions, type EncoderResult } from './encoder-common.js';
import { checkFrameSize, encodePatches } from './image-encoder.js';

/**
 * Frames [B, F, 3, H, W] averaged over k×k pixel blocks → [B, F, 3, H/k, W/k]
 * (a clip that came in at the image encoder's size, for the tubelets at
 * videoSize; see VideoEncoderConfig.keyframe). H and W must be static and divisible by k.
 */
export function averageFrames(frames: Value, k: number): Value {
  if (k === 1) return frames;
  const [f, c, h, w] = frames.shape.slice(1);
  if (typeof h !== 'number' || typeof w !== 'number' || h % k !== 0 || w % k !== 0) {
    throw new Error(`averageFrames: frames ${formatShape(frames.shape)} need static height and width divisible by ${k}`);
  }
  const blocks = op.reshape(frames, [0, f as number, c as number, h / k, k, w / k, k]); // [B, F, 3, H/k, k, W/k, k]
  return op.reduceMean(blocks, [4, 6]); // [B, F, 3, H/k, W/k]
}

/**
 * Parameters `<path>.patch.{weight [3·t·P·P, D], bias}` (stem 'patch') or
 * `<path>.stem.*` (stem 'conv'), `<path>.appearance.*` (appearance 'conv'), `<path>.times.weight`
 * [videoFrames / t, D], `<path>.rows.weight` and `<path>.cols.weight`
 * [videoSize / P, D], and the stack's.
 */
export class VideoEncoder {
  readonly cfg: VideoEncoderOptions;
  readonly path: string;
  readonly patch?: Linear;
  readonly stem?: ConvStem;
  readonly appearance?: ConvStem;
  readonly times: Embedding;
  readonly rows: Embedding;
  readonly cols: Embedding;
  readonly stack: EncoderStack;

  constructor(
    readonly g: Graph,
    readonly name: string,
    cfg: VideoEncoderConfig,
  ) {
    this.path = g.scope ? `${g.scope}.${name}` : name;
    this.cfg = validateVideoEncoderConfig(cfg, `VideoEncoder config at ${this.path}`);
    const { dim, videoFrames, tubeletFrames: t, videoSize, videoPatch: p } = this.cfg;
    [this.patch, this.stem, this.appearance, this.times, this.rows, this.cols, this.stack] = g.withScope(name, () => [
      this.cfg.stem === 'patch' ? new Linear(g, 'patch', { inFeatures: 3 * t * p * p, outFeatures: dim }) : undefined,
      this.cfg.stem === 'conv' ? new ConvStem(g, 'stem', { inChannels: 3 * t, dim, patch: p, width: this.cfg.stemWidth }) : undefined,
      this.cfg.appearance === 'conv' ? new ConvStem(g, 'appearance', { inChannels: 3, dim, patch: p, width: this.cfg.stemWidth }) : undefined,
      new Embedding(g, 'times', { vocabSize: videoFrames / t, dim }),
      new Embedding(g, 'rows', { vocabSize: videoSize / p, dim }),
      new Embedding(g, 'cols', { vocabSize: videoSize / p, dim }),
      new EncoderStack(g, this.cfg),
    ]);
  }

  /** Tokens for F frames of H×W: (F / t)·(H / P)·(W / P). */
  tokenCount(frames = this.cfg.videoFrames, height = this.cfg.videoSize, width = height): number {
    const { tubeletFrames: t, videoPatch: p } = this.cfg;
    return (frames / t) * (height / p) * (width / p);
  }

  /**
   * Frames float32 [B, F, 3, H, W] in [0, 1] → tokens [B, (F/t)·(H/P)·(W/P), D]
   * (time-major, then row-major; see patchify.ts), pooled [B, D]. F, H, W
   * must be static; F divisible by tubeletFrames and ≤ videoFrames; H, W
   * divisible by videoPatch and ≤ videoSize. `o.pooledOnly`: see
   * EncoderStack.applyPooled.
   */
  apply<P extends boolean = false>(frames: Value, o: EncodeOptions<P> = {}): EncoderResult<P> {
    const what = `VideoEncoder ${this.path}: input frames`;
    checkInput(frames, what, ['float32'], ['batch', 'frames', '3', 'height', 'width']);
    const { videoFrames, tubeletFrames: t, videoSize, videoPatch: p } = this.cfg;
    const f = staticDim(frames, 1, what, 'frames');
    if (f % t !== 0) throw new Error(`${what} ${formatShape(frames.shape)}: frames ${f} is not divisible by tubeletFrames ${t}`);
    if (f > videoFrames) throw new Error(`${what} ${formatShape(frames.shape)}: frames ${f} exceed videoFrames ${videoFrames}`);
    checkFrameSize(frames, what, videoSize, p);
    const { normalization } = this.cfg;
    return this.g.withScope(this.name, () => encodePatches(frames, this, { ...o, patch: p, tubelet: t, what, normalization })); // [B, N, D], [B, D]
  }
}
