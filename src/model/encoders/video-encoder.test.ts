import { describe, expect, it } from 'vitest';
import { Graph } from '../../graph/graph.js';
import { zerosHost } from '../../graph/host-tensor.js';
import { initParams } from '../../runtime/init-params.js';
import { VideoEncoder } from './video-encoder.js';
import { expectGradientOnEveryParam, f32, gradientsOfEveryParam, maxAbsDiff, runGraph, uniform01 } from './test-helpers.js';

/** 4 frames of 8×8, tubelets 2×4×4 → 2·2·2 = 8 tokens. */
const CFG = { dim: 8, videoFrames: 4, tubeletFrames: 2, videoSize: 8, videoPatch: 4, layers: 0, heads: 2 };

describe('VideoEncoder', () => {
  it('gives (F/t)·(H/P)·(W/P) tokens: 8 for [B, 4, 3, 8, 8], 4 for [B, 2, 3, 8, 8]', () => {
    const g = new Graph();
    const enc = new VideoEncoder(g, 'video', CFG);
    const out = enc.apply(g.input('a', 'float32', ['batch', 4, 3, 8, 8]));
    expect(out.tokens.shape).toEqual(['batch', 8, 8]);
    expect(out.pooled.shape).toEqual(['batch', 8]);
    expect(enc.tokenCount()).toBe(8);
    expect(enc.apply(g.input('b', 'float32', ['batch', 2, 3, 8, 8])).tokens.shape).toEqual(['batch', 4, 8]);
    expect(g.params.get('video.patch.weight')!.value.shape).toEqual([96, 8]);
    expect(['times', 'rows', 'cols'].map((k) => g.params.get(`video.${k}.weight`)!.value.shape)).toEqual([[2, 8], [2, 8], [2, 8]]);
  });

  it('adds time, row and column positions in token order (time, row, column)', async () => {
    const g = new Graph();
    const enc = new VideoEncoder(g, 'video', { ...CFG, normalization: 'none' });
    const out = enc.apply(g.input('v', 'float32', ['batch', 4, 3, 8, 8]));
    const params = initParams(g, 6);
    const res = await runGraph(g, { tokens: out.tokens }, { v: zerosHost('float32', [1, 4, 3, 8, 8]) }, params); // patches = 0
    const [b, t, r, c] = ['patch.bias', 'times.weight', 'rows.weight', 'cols.weight'].map((k) => params.get(`video.${k}`)!.data as Float32Array);
    const want: number[] = [];
    for (let ft = 0; ft < 2; ft++)
      for (let ri = 0; ri < 2; ri++)
        for (let ci = 0; ci < 2; ci++) for (let d = 0; d < 8; d++) want.push(b![d]! + t![ft * 8 + d]! + r![ri * 8 + d]! + c![ci * 8 + d]!);
    expect(maxAbsDiff(f32(res.tokens!), want)).toBeLessThan(1e-6);
  });

  it('with 2 layers runs forward in ONNX Runtime and a gradient reaches every parameter', async () => {
    const g = new Graph();
    const enc = new VideoEncoder(g, 'video', { ...CFG, layers: 2 });
    const out = enc.apply(g.input('v', 'float32', ['batch', 4, 3, 8, 8]));
    const { grads, forward } = await gradientsOfEveryParam(g, out, { v: uniform01([2, 4, 3, 8, 8], 7) });
    expect(forward.tokens!.shape).toEqual([2, 8, 8]);
    expectGradientOnEveryParam(grads);
  });

  it("with stem 'conv' stacks each tubelet's frames as channels and keeps the token order (time, row, column)", async () => {
    const g = new Graph();
    const enc = new VideoEncoder(g, 'video', { ...CFG, stem: 'conv' });
    const out = enc.apply(g.input('v', 'float32', ['batch', 4, 3, 8, 8]));
    expect(out.tokens.shape).toEqual(['batch', 8, 8]);
    expect(g.params.has('video.patch.weight')).toBe(false);
    expect(g.params.get('video.stem.convs.0.weight')!.value.shape).toEqual([9 * 6, 2]); // 3×3 taps × (2 frames · RGB)
    const params = initParams(g, 8);
    const a = uniform01([1, 4, 3, 8, 8], 9);
    const b = { ...a, data: Float32Array.from(a.data as Float32Array) };
    (b.data as Float32Array).fill(0.5, 2 * 3 * 64); // frames 2–3: the second tubelet
    const [ra, rb] = await Promise.all([a, b].map(async (v) => f32((await runGraph(g, { tokens: out.tokens }, { v }, params)).tokens!)));
    expect(maxAbsDiff(ra.slice(0, 4 * 8), rb.slice(0, 4 * 8))).toBeLessThan(1e-6); // tokens of tubelet 0 unchanged
    expect(maxAbsDiff(ra.slice(4 * 8), rb.slice(4 * 8))).toBeGreaterThan(1e-3); // tubelet 1's changed
    const { grads } = await gradientsOfEveryParam(g, out, { v: a });
    expectGradientOnEveryParam(grads);
  });

  it("with appearance 'conv' adds a conv stem token of each tubelet's first frame, at the same time and place", async () => {
    const g = new Graph();
    const enc = new VideoEncoder(g, 'video', { ...CFG, appearance: 'conv' });
    const out = enc.apply(g.input('v', 'float32', ['batch', 4, 3, 8, 8]));
    expect(out.tokens.shape).toEqual(['batch', 8, 8]);
    expect(g.params.get('video.patch.weight')!.value.shape).toEqual([96, 8]); // the tubelet projection stays
    expect(g.params.get('video.appearance.convs.0.weight')!.value.shape).toEqual([9 * 3, 2]); // 3×3 taps × RGB of one frame
    const params = initParams(g, 8);
    params.set('video.patch.weight', zerosHost('float32', [96, 8])); // tokens = appearance + bias + positions
    const run = async (v: ReturnType<typeof uniform01>) => f32((await runGraph(g, { tokens: out.tokens }, { v }, params)).tokens!);
    const a = uniform01([1, 4, 3, 8, 8], 9);
    const edit = (frame: number, row: number, col: number) => {
      const d = Float32Array.from(a.data as Float32Array);
      for (let c = 0; c < 3; c++) for (let y = 0; y < 4; y++) d.fill(0.5, ((frame * 3 + c) * 8 + row * 4 + y) * 8 + col * 4, ((frame * 3 + c) * 8 + row * 4 + y) * 8 + col * 4 + 4);
      return { ...a, data: d };
    };
    const base = await run(a);
    const token = (x: number[], time: number, row: number, col: number) => x.slice(((time * 2 + row) * 2 + col) * 8, ((time * 2 + row) * 2 + col + 1) * 8);
    expect(maxAbsDiff(base, await run(edit(1, 0, 0)))).toBeLessThan(1e-6); // frame 1: no tubelet's first frame
    const third = await run(edit(2, 1, 0)); // frame 2 = tubelet 1's first frame, bottom-left patch
    expect(maxAbsDiff(token(base, 1, 1, 0), token(third, 1, 1, 0))).toBeGreaterThan(1e-3);
    expect(maxAbsDiff(base.slice(0, 4 * 8), third.slice(0, 4 * 8))).toBeLessThan(1e-6); // tubelet 0 unchanged
    const { grads } = await gradientsOfEveryParam(g, out, { v: a });
    expectGradientOnEveryParam(grads);
  });

  it('rejects bad input shapes at trace time, naming the encoder and the shape', () => {
    const g = new Graph();
    const enc = new VideoEncoder(g, 'video', CFG);
    const v = (shape: (number | string)[]) => g.input(`v${shape.join('_')}`, 'float32', shape);
    expect(() => enc.apply(v(['batch', 3, 3, 8, 8]))).toThrow('VideoEncoder video: input frames [batch, 3, 3, 8, 8]: frames 3 is not divisible by tubeletFrames 2');
    expect(() => enc.apply(v(['batch', 6, 3, 8, 8]))).toThrow('VideoEncoder video: input frames [batch, 6, 3, 8, 8]: frames 6 exceed videoFrames 4');
    expect(() => enc.apply(v(['batch', 4, 3, 8, 6]))).toThrow('VideoEncoder video: input frames [batch, 4, 3, 8, 6]: width 6 is not divisible by patch size 4');
    expect(() => enc.apply(v(['batch', 3, 8, 8]))).toThrow(/VideoEncoder video: input frames must be float32 \[batch, frames, 3, height, width\]/);
  });

  it("rejects stem 'conv' or appearance 'conv' with a patch that is not a power of two", () => {
    expect(() => new VideoEncoder(new Graph(), 'vid', { ...CFG, videoPatch: 3, videoSize: 9, stem: 'conv' })).toThrow(
      "VideoEncoder config at vid: stem 'conv' needs videoPatch a power of two ≥ 2, got 3",
    );
    expect(() => new VideoEncoder(new Graph(), 'vid', { ...CFG, videoPatch: 3, videoSize: 9, appearance: 'conv' })).toThrow(
      "VideoEncoder config at vid: appearance 'conv' needs videoPatch a power of two ≥ 2, got 3",
    );
  });

  it('rejects tubelets that do not divide the clip length', () => {
    expect(() => new VideoEncoder(new Graph(), 'vid', { ...CFG, tubeletFrames: 3 })).toThrow('VideoEncoder config at vid: tubeletFrames 3 must divide videoFrames 4');
  });
});
