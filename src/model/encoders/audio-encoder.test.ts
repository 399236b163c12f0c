import { describe, expect, it } from 'vitest';
import { Graph } from '../../graph/graph.js';
import { initParams } from '../../runtime/init-params.js';
import { AudioEncoder } from './audio-encoder.js';
import { expectGradientOnEveryParam, f32, gradientsOfEveryParam, maxAbsDiff, randn, runGraph } from './test-helpers.js';

/** 0.1 s at 8 kHz = 800 samples → 1 + ⌊(800 − 256)/80⌋ = 7 frames → 3 tokens of 2 frames (frame 7 dropped). */
const CFG = {
  dim: 8,
  sampleRate: 8000,
  frameLength: 200,
  hop: 80,
  fftSize: 256,
  melBins: 16,
  framesPerToken: 2,
  maxAudioSeconds: 0.1,
  layers: 0,
  heads: 2,
};

describe('AudioEncoder', () => {
  it('sizes: 800 samples → 7 frames → 3 tokens; 600 samples → 5 frames → 2 tokens', () => {
    const g = new Graph();
    const enc = new AudioEncoder(g, 'audio', CFG);
    expect([enc.maxSamples, enc.frameCount(800), enc.maxTokens, enc.frameCount(600), enc.tokenCount(600)]).toEqual([800, 7, 3, 5, 2]);
    const a = enc.apply(g.input('a', 'float32', ['batch', 800]));
    expect(a.tokens.shape).toEqual(['batch', 3, 8]);
    expect(a.pooled.shape).toEqual(['batch', 8]);
    expect(enc.apply(g.input('b', 'float32', ['batch', 600])).tokens.shape).toEqual(['batch', 2, 8]);
    expect(g.params.get('audio.patch.weight')!.value.shape).toEqual([32, 8]);
    expect(g.params.get('audio.positions.weight')!.value.shape).toEqual([3, 8]);
  });

  it('token i = [frames 2i, 2i+1 of the log-mel]·W + b + positions[i]; pooled = mean', async () => {
    const g = new Graph();
    const enc = new AudioEncoder(g, 'audio', CFG);
    const wave = g.input('wave', 'float32', ['batch', 700]); // 6 frames → 3 tokens, none dropped
    const out = enc.apply(wave);
    const mel = enc.logMel(wave); // [batch, 6, 16]
    const params = initParams(g, 2);
    const res = await runGraph(g, { tokens: out.tokens, pooled: out.pooled, mel }, { wave: randn([2, 700], 3, 0.3) }, params);
    expect(res.mel!.shape).toEqual([2, 6, 16]);
    const m = f32(res.mel!);
    const w = params.get('audio.patch.weight')!.data as Float32Array;
    const b = params.get('audio.patch.bias')!.data as Float32Array;
    const pos = params.get('audio.positions.weight')!.data as Float32Array;
    const want: number[] = [];
    for (let bi = 0; bi < 2; bi++)
      for (let t = 0; t < 3; t++)
        for (let d = 0; d < 8; d++) {
          let acc = b[d]! + pos[t * 8 + d]!;
          for (let j = 0; j < 32; j++) acc += m[(bi * 6 + 2 * t) * 16 + j]! * w[j * 8 + d]!; // j = frame·16 + mel
          want.push(acc);
        }
    expect(maxAbsDiff(f32(res.tokens!), want)).toBeLessThan(1e-4);
    const pooled = [0, 1].flatMap((bi) => [...Array(8).keys()].map((d) => (want[bi * 24 + d]! + want[bi * 24 + 8 + d]! + want[bi * 24 + 16 + d]!) / 3));
    expect(maxAbsDiff(f32(res.pooled!), pooled)).toBeLessThan(1e-4);
  });

  it('with 2 layers runs forward in ONNX Runtime and a gradient reaches every parameter', async () => {
    const g = new Graph();
    const enc = new AudioEncoder(g, 'audio', { ...CFG, layers: 2 });
    const out = enc.apply(g.input('wave', 'float32', ['batch', 800]));
    const { grads, forward } = await gradientsOfEveryParam(g, out, { wave: randn([2, 800], 4, 0.3) });
    expect(forward.tokens!.shape).toEqual([2, 3, 8]);
    expectGradientOnEveryParam(grads);
  });

  it('rejects bad input shapes at trace time, naming the encoder and the shape', () => {
    const g = new Graph();
    const enc = new AudioEncoder(g, 'audio', CFG);
    expect(() => enc.apply(g.input('a', 'float32', ['batch', 801]))).toThrow(
      'AudioEncoder audio: input waveform [batch, 801]: 801 samples exceed maxAudioSeconds (800 samples)',
    );
    expect(() => enc.apply(g.input('b', 'float32', ['batch', 300]))).toThrow(
      'AudioEncoder audio: input waveform [batch, 300]: 300 samples give 1 frames, fewer than framesPerToken 2',
    );
    expect(() => enc.apply(g.input('c', 'float32', ['batch', 'samples']))).toThrow(
      "AudioEncoder audio: input waveform [batch, samples]: samples must be a static size, got 'samples'",
    );
    expect(() => enc.apply(g.input('d', 'float32', ['batch', 1, 800]))).toThrow(
      'AudioEncoder audio: input waveform must be float32 [batch, samples], got float32 [batch, 1, 800]',
    );
  });

  it('rejects inconsistent configs', () => {
    const g = new Graph();
    expect(() => new AudioEncoder(g, 'a', { ...CFG, frameLength: 300 })).toThrow('AudioEncoder config at a: frameLength 300 must be ≤ fftSize 256');
    expect(() => new AudioEncoder(g, 'b', { ...CFG, maxAudioSeconds: 0.03 })).toThrow(
      'AudioEncoder config at b: maxAudioSeconds 0.03 (240 samples) gives 0 frames, fewer than framesPerToken 2',
    );
    expect(() => new AudioEncoder(g, 'c', { ...CFG, fMax: 5000 })).toThrow(/need fMin < fMax ≤ sampleRate\/2/);
    expect(() => new AudioEncoder(g, 'd', { ...CFG, melBins: 200 })).toThrow(/covers no DFT bin/);
  });
});
