import { describe, expect, it } from 'vitest';
import { Random } from '../graph/random.js';
import { readModelConfigJson, validateModelConfig, type ModelConfig } from '../model/config.js';
import { mediaShape } from '../model/model-inputs.js';
import { maskMedia } from './batches.js';

describe('maskMedia on video', () => {
  const raw = readModelConfigJson('mm-tiny') as { video: Record<string, unknown> };
  const plain = validateModelConfig(raw);
  /** Clips come in at 32×32 and the tubelets see them at 16×16: a tubelet covers 16×16 input pixels. */
  const keyed = validateModelConfig({ ...raw, video: { ...raw.video, videoSize: 16, keyframe: 'image' } });

  it.each([
    ['32×32 clips, patch 8', plain, 2 * 4 * 4, 8],
    ['keyframe path: 32×32 clips averaged to 16×16, patch 8', keyed, 2 * 2 * 2, 16],
  ] as [string, ModelConfig, number, number][])('%s: each masked token blanks exactly its tubelet in input pixels', (_, cfg, tokens, inputPatch) => {
    const shape = [2, ...mediaShape(cfg, 'video')];
    const [, frames, , side] = shape as [number, number, number, number];
    const n = shape.reduce((a, b) => a * b, 1);
    const clean = { dtype: 'float32' as const, shape, data: Float32Array.from({ length: n }, (_, i) => 0.5 + (i % 7) / 20) };
    const { masked, tokenMask } = maskMedia(clean, 'video', cfg, new Random(5));
    expect(tokenMask.shape).toEqual([2, tokens]);
    const mask = tokenMask.data as Float32Array;
    const out = masked.data as Float32Array;
    const grid = side / inputPatch;
    const tub = cfg.video.tubeletFrames;
    for (let b = 0; b < 2; b++) {
      for (let f = 0; f < frames; f++) {
        for (let c = 0; c < 3; c++) {
          for (let y = 0; y < side; y++) {
            for (let x = 0; x < side; x++) {
              const t = Math.floor(f / tub) * grid * grid + Math.floor(y / inputPatch) * grid + Math.floor(x / inputPatch);
              const i = (((b * frames + f) * 3 + c) * side + y) * side + x;
              expect(out[i]).toBe(mask[b * tokens + t] === 1 ? 0 : (clean.data as Float32Array)[i]);
            }
          }
        }
      }
      expect(mask.subarray(b * tokens, (b + 1) * tokens).some((v) => v === 1)).toBe(true);
    }
  });
});
