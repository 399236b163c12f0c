import { describe, expect, it } from 'vitest';
import { Graph } from '../../graph/graph.js';
import type { HostTensor } from '../../graph/host-tensor.js';
import { initParams } from '../../runtime/init-params.js';
import { PIXEL_STATS } from './config.js';
import * as op from '../../graph/ops/index.js';
import { ConvStem } from '../../nn/conv-stem.js';
import { ImageEncoder } from './image-encoder.js';
import { expectGradientOnEveryParam, f32, gradientsOfEveryParam, maxAbsDiff, runGraph, uniform01 } from './test-helpers.js';

const CFG = { dim: 8, imageSize: 16, patchSize: 4, layers: 0, heads: 2 };

/** Plain front-end: normalise, patch (patchify.ts order), x·W + b + rows[r] + cols[c]. → [B·N·D] */
function frontEndRef(x: Float32Array, [B, H, W]: number[], p: Map<string, HostTensor>, P: number, D: number): number[] {
  const { mean, std } = PIXEL_STATS.imagenet;
  const w = p.get('image.patch.weight')!.data as Float32Array;
  const bias = p.get('image.patch.bias')!.data as Float32Array;
  const rows = p.get('image.rows.weight')!.data as Float32Array;
  const cols = p.get('image.cols.weight')!.data as Float32Array;
  const [Hp, Wp] = [H! / P, W! / P];
  const out: number[] = [];
  for (let b = 0; b < B!; b++)
    for (let r = 0; r < Hp; r++)
      for (let c = 0; c < Wp; c++)
        for (let d = 0; d < D; d++) {
          let acc = bias[d]! + rows[r * D + d]! + cols[c * D + d]!;
          for (let ch = 0; ch < 3; ch++)
            for (let py = 0; py < P; py++)
              for (let px = 0; px < P; px++) {
                const v = x[((b * 3 + ch) * H! + r * P + py) * W! + c * P + px]!;
                acc += ((v - mean[ch]!) / std[ch]!) * w[((ch * P + py) * P + px) * D + d]!;
              }
          out.push(acc);
        }
  return out;
}

describe('ImageEncoder', () => {
  it('gives (H/P)·(W/P) tokens of width D and a pooled [batch, D] at full size', () => {
    const g = new Graph();
    const enc = new ImageEncoder(g, 'image', CFG);
    const out = enc.apply(g.input('px', 'float32', ['batch', 3, 16, 16]));
    expect(out.tokens.shape).toEqual(['batch', 16, 8]);
    expect(out.pooled.shape).toEqual(['batch', 8]);
    expect(out.mask).toBeUndefined();
    expect(enc.tokenCount()).toBe(16);
    expect([...g.params.keys()]).toEqual(['image.patch.weight', 'image.patch.bias', 'image.rows.weight', 'image.cols.weight']);
    expect(g.params.get('image.patch.weight')!.value.shape).toEqual([48, 8]);
  });

  it('on a smaller non-square image [2, 3, 8, 12] equals the TypeScript front-end, pooled = mean', async () => {
    const g = new Graph();
    const enc = new ImageEncoder(g, 'image', CFG);
    const out = enc.apply(g.input('px', 'float32', ['batch', 3, 8, 12]));
    expect(out.tokens.shape).toEqual(['batch', 6, 8]);
    const params = initParams(g, 3);
    const x = uniform01([2, 3, 8, 12], 4);
    const res = await runGraph(g, { tokens: out.tokens, pooled: out.pooled }, { px: x }, params);
    const want = frontEndRef(x.data, [2, 8, 12], params, 4, 8);
    expect(maxAbsDiff(f32(res.tokens!), want)).toBeLessThan(1e-4);
    const pooled = [0, 1].flatMap((b) => [...Array(8).keys()].map((d) => [...Array(6).keys()].reduce((s, n) => s + want[(b * 6 + n) * 8 + d]!, 0) / 6));
    expect(maxAbsDiff(f32(res.pooled!), pooled)).toBeLessThan(1e-4);
  });

  it('with 2 layers runs forward in ONNX Runtime and a gradient reaches every parameter', async () => {
    const g = new Graph();
    const enc = new ImageEncoder(g, 'image', { ...CFG, layers: 2 });
    const out = enc.apply(g.input('px', 'float32', ['batch', 3, 8, 16]));
    const { grads, forward } = await gradientsOfEveryParam(g, out, { px: uniform01([2, 3, 8, 16], 5) });
    expect(forward.tokens!.shape).toEqual([2, 8, 8]);
    expect(forward.pooled!.shape).toEqual([2, 8]);
    expect(grads.size).toBeGreaterThan(4);
    expectGradientOnEveryParam(grads);
  });

  it('rejects bad input shapes at trace time, naming the encoder and the shape', () => {
    const g = new Graph();
    const enc = new ImageEncoder(g, 'image', CFG);
    const px = (shape: (number | string)[]) => g.input(`x${shape.join('_')}`, 'float32', shape);
    expect(() => enc.apply(px(['batch', 3, 14, 16]))).toThrow('ImageEncoder image: input pixels [batch, 3, 14, 16]: height 14 is not divisible by patch size 4');
    expect(() => enc.apply(px(['batch', 3, 16, 20]))).toThrow('ImageEncoder image: input pixels [batch, 3, 16, 20]: width 20 exceeds the configured size 16');
    expect(() => enc.apply(px(['batch', 4, 16, 16]))).toThrow('ImageEncoder image: input pixels [batch, 4, 16, 16]: expected 3 (RGB) channels, got 4');
    expect(() => enc.apply(px(['batch', 3, 'h', 16]))).toThrow("ImageEncoder image: input pixels [batch, 3, h, 16]: height must be a static size, got 'h'");
    expect(() => enc.apply(px(['batch', 16, 16]))).toThrow('ImageEncoder image: input pixels must be float32 [batch, 3, height, width], got float32 [batch, 16, 16]');
  });

  it("with stem 'conv' equals the conv stem on channels-last pixels plus the row and column positions, on [2, 3, 8, 12]", async () => {
    const g = new Graph();
    const enc = new ImageEncoder(g, 'image', { ...CFG, stem: 'conv', normalization: 'none' });
    const out = enc.apply(g.input('x', 'float32', ['batch', 3, 8, 12]));
    expect(out.tokens.shape).toEqual(['batch', 6, 8]);
    expect(g.params.has('image.patch.weight')).toBe(false);
    const params = initParams(g, 3);
    const xv = uniform01([2, 3, 8, 12], 4);
    const tokens = f32((await runGraph(g, { tokens: out.tokens }, { x: xv }, params)).tokens!);
    const ref = new Graph();
    const stem = ref.withScope('image', () => new ConvStem(ref, 'stem', { inChannels: 3, dim: 8, patch: 4 }));
    const stemOut = ref.withScope('image', () => stem.apply(op.transpose(ref.input('x', 'float32', ['batch', 3, 8, 12]), [0, 2, 3, 1]))); // [B, 2, 3, 8]
    const stemParams = new Map([...params].filter(([k]) => k.startsWith('image.stem.')));
    const s = f32((await runGraph(ref, { s: stemOut }, { x: xv }, stemParams)).s!);
    const [rows, cols] = ['rows', 'cols'].map((k) => params.get(`image.${k}.weight`)!.data as Float32Array);
    const want = s.map((v, i) => {
      const [d, c, r] = [i % 8, Math.floor(i / 8) % 3, Math.floor(i / 24) % 2];
      return v + rows![r * 8 + d]! + cols![c * 8 + d]!;
    });
    expect(maxAbsDiff(tokens, want)).toBeLessThan(1e-5);
  });

  it('rejects a patch size that does not divide the image size', () => {
    expect(() => new ImageEncoder(new Graph(), 'img', { ...CFG, patchSize: 5 })).toThrow('ImageEncoder config at img: patchSize 5 must divide imageSize 16');
  });
});
