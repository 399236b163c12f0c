/**
 * Non-overlapping patches (images) and tubelets (video) by Reshape and
 * Transpose only, no convolution. One function serves both: an image is a
 * one-frame video with tubelets of one frame.
 *
 * Element order, for x [B, F, C, H, W] (video) or [B, C, H, W] (image, F = t = 1),
 * tubelet t frames, patch P, grid Ft = F/t, Hp = H/P, Wp = W/P:
 *
 *   out[b, n, j] = x[b, ft·t + dt, ch, r·P + py, c·P + px]
 *   token   n = (ft·Hp + r)·Wp + c            (time, row, column; row-major)
 *   feature j = ((ch·t + dt)·P + py)·P + px   (channel, time, row, column)
 *
 * The feature order is that of a Conv3d weight [D, C, t, P, P] (Conv2d
 * [D, C, P, P] for images) flattened, so a ViT/ViViT patch-embedding
 * convolution's weight reshaped to [D, C·t·P·P] and transposed is our Linear.
 */
import * as op from '../../graph/ops/index.js';
import { formatShape } from '../../graph/shape.js';
import type { Value } from '../../graph/value.js';

export interface PatchifyOptions {
  /** Patch side P in pixels. */
  patch: number;
  /** Frames t per tubelet (video only; default 1). */
  tubelet?: number;
  /** Names the caller in errors, e.g. `ImageEncoder image: input pixels`. */
  what: string;
}

/** Tokens per axis of the patch grid. */
export interface PatchGrid {
  /** Ft = F / t (1 for images). */
  times: number;
  /** Hp = H / P. */
  rows: number;
  /** Wp = W / P. */
  cols: number;
}

/**
 * [B, C, H, W] or [B, F, C, H, W] → patches [B, Ft·Hp·Wp, C·t·P·P] (order
 * above) and the grid sizes. F, C, H and W must be static; B may be named.
 * Throws, naming `what` and the shape, when a size is not divisible.
 */
export function patchify(x: Value, o: PatchifyOptions): { patches: Value; grid: PatchGrid } {
  const { patch: p, what } = o;
  const t = o.tubelet ?? 1;
  const fail = (msg: string): never => {
    throw new Error(`${what} ${formatShape(x.shape)}: ${msg}`);
  };
  if (x.rank !== 4 && x.rank !== 5) fail('expected [batch, channels, height, width] or [batch, frames, channels, height, width]');
  if (x.rank === 4 && t !== 1) fail(`an image has no time axis for tubelets of ${t} frames`);
  const [f, c, h, w] = x.rank === 5 ? x.shape.slice(1) : [1, ...x.shape.slice(1)];
  for (const [d, name] of [[f, 'frames'], [c, 'channels'], [h, 'height'], [w, 'width']] as const) {
    if (typeof d !== 'number') fail(`${name} must be a static size, got '${d}'`);
  }
  const [F, C, H, W] = [f, c, h, w] as number[];
  if (F % t !== 0) fail(`frames ${F} is not divisible by tubeletFrames ${t}`);
  if (H % p !== 0) fail(`height ${H} is not divisible by patch size ${p}`);
  if (W % p !== 0) fail(`width ${W} is not divisible by patch size ${p}`);
  const grid: PatchGrid = { times: F / t, rows: H / p, cols: W / p };
  const split = op.reshape(x, [0, grid.times, t, C!, grid.rows, p, grid.cols, p]); // [B, Ft, t, C, Hp, P, Wp, P]
  const moved = op.transpose(split, [0, 1, 4, 6, 3, 2, 5, 7]); // [B, Ft, Hp, Wp, C, t, P, P]
  const patches = op.reshape(moved, [0, grid.times * grid.rows * grid.cols, C! * t * p * p]); // [B, N, C·t·P·P]
  return { patches, grid };
}
