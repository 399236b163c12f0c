import { describe, expect, it } from 'vitest';
import { Graph } from '../../graph/graph.js';
import { hostTensor } from '../../graph/host-tensor.js';
import * as op from '../../graph/ops/index.js';
import {
  frameSignal,
  hannWindow,
  hzToMel,
  LOG_MEL_FLOOR,
  logMelSpectrogram,
  logMelSpectrogramStft,
  melCenterFrequencies,
  melFilterbank,
  melFrameCount,
  melToHz,
  paddedHannWindow,
  windowedDftBasis,
  type LogMelOptions,
} from './mel.js';
import { f32, maxAbsDiff, randn, runGraph } from './test-helpers.js';

/** Plain log-mel: frames, padded Hann window, float64 DFT, power, filterbank, log(· + 1e-6). → [frames][mels] */
function logMelRef(x: Float32Array, o: LogMelOptions): number[][] {
  const n = o.fftSize;
  const win = paddedHannWindow(o.frameLength, n);
  const fb = melFilterbank(o).data;
  const bins = n / 2 + 1;
  const out: number[][] = [];
  for (let f = 0; f < melFrameCount(x.length, o); f++) {
    const power = new Float64Array(bins);
    for (let k = 0; k < bins; k++) {
      let re = 0;
      let im = 0;
      for (let i = 0; i < n; i++) {
        const v = x[f * o.hop + i]! * win[i]!;
        re += v * Math.cos((2 * Math.PI * k * i) / n);
        im -= v * Math.sin((2 * Math.PI * k * i) / n);
      }
      power[k] = re * re + im * im;
    }
    out.push(
      Array.from({ length: o.melBins }, (_, m) => {
        let s = 0;
        for (let k = 0; k < bins; k++) s += power[k]! * fb[k * o.melBins + m]!;
        return Math.log(s + LOG_MEL_FLOOR);
      }),
    );
  }
  return out;
}

const sine = (hz: number, sr: number, len: number, amp = 0.5): Float32Array =>
  Float32Array.from({ length: len }, (_, i) => amp * Math.sin((2 * Math.PI * hz * i) / sr + 0.3));

const OPTS: LogMelOptions = { sampleRate: 8000, frameLength: 200, hop: 80, fftSize: 256, melBins: 16 };

async function graphLogMel(x: Float32Array[], o: LogMelOptions): Promise<{ data: Float32Array; shape: number[] }> {
  const g = new Graph();
  const len = x[0]!.length;
  const w = g.input('w', 'float32', ['batch', len]);
  const y = logMelSpectrogram(w, o); // [batch, frames, M]
  expect(y.shape).toEqual(['batch', melFrameCount(len, o), o.melBins]);
  const flat = new Float32Array(x.length * len);
  x.forEach((s, i) => flat.set(s, i * len));
  const out = (await runGraph(g, { y }, { w: hostTensor('float32', [x.length, len], flat) })).y!;
  return { data: out.data as Float32Array, shape: out.shape };
}

describe('mel filterbank (HTK)', () => {
  it('uses the HTK mel scale', () => {
    expect(hzToMel(700)).toBeCloseTo(2595 * Math.log10(2), 10);
    expect(hzToMel(1000)).toBeCloseTo(1000, 0); // the scale's anchor: 1000 Hz ≈ 1000 mel
    expect(melToHz(hzToMel(440))).toBeCloseTo(440, 9);
  });

  it('has triangles that meet their neighbours: between the first and last centre, rows sum to 1', () => {
    const o = { sampleRate: 16000, fftSize: 512, melBins: 20 };
    const fb = melFilterbank(o);
    expect(fb.shape).toEqual([257, 20]);
    const centres = melCenterFrequencies(o);
    for (let k = 0; k < 257; k++) {
      const hz = (k * 16000) / 512;
      const row = Array.from(fb.data.subarray(k * 20, k * 20 + 20));
      expect(Math.min(...row)).toBeGreaterThanOrEqual(0);
      if (hz >= centres[0]! && hz <= centres[19]!) expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      // at most two filters overlap at any frequency
      expect(row.filter((v) => v > 0).length).toBeLessThanOrEqual(2);
    }
  });

  it('rejects more mel filters than the DFT resolution supports', () => {
    expect(() => melFilterbank({ sampleRate: 16000, fftSize: 64, melBins: 80 })).toThrow(/covers no DFT bin; use fewer melBins than 80/);
  });

  it('pads a periodic Hann window into the centre of the DFT size', () => {
    const h = Array.from(hannWindow(4));
    [0, 0.5, 1, 0.5].forEach((v, i) => expect(h[i]).toBeCloseTo(v, 12));
    const w = paddedHannWindow(4, 8);
    expect(Array.from(w.slice(0, 2))).toEqual([0, 0]);
    expect(w[4]).toBe(1);
  });
});

describe('log-mel spectrogram in the graph', () => {
  it('matches a plain TypeScript DFT log-mel on synthetic sines to 1e-3 relative', async () => {
    const len = 800;
    const xs = [sine(440, 8000, len), sine(1234.5, 8000, len, 0.9)];
    const { data, shape } = await graphLogMel(xs, OPTS);
    const frames = melFrameCount(len, OPTS);
    expect(frames).toBe(7);
    expect(shape).toEqual([2, frames, 16]);
    let worst = 0;
    xs.forEach((x, b) => {
      logMelRef(x, OPTS).forEach((row, f) =>
        row.forEach((want, m) => {
          const got = data[(b * frames + f) * 16 + m]!;
          worst = Math.max(worst, Math.abs(got - want) / Math.max(1, Math.abs(want)));
        }),
      );
    });
    expect(worst).toBeLessThan(1e-3);
  });

  it.each([16, 24, 32])('puts a 440 Hz sine in the mel bin whose centre is closest to 440 Hz (%i mels)', async (melBins) => {
    const o = { ...OPTS, fftSize: 512, frameLength: 400, melBins };
    const centres = melCenterFrequencies(o);
    const closest = centres.reduce((best, c, i) => (Math.abs(c - 440) < Math.abs(centres[best]! - 440) ? i : best), 0);
    const { data, shape } = await graphLogMel([sine(440, 8000, 1200)], o);
    expect(shape[1]).toBe(9);
    for (let f = 0; f < shape[1]!; f++) {
      const row = Array.from(data.subarray(f * melBins, (f + 1) * melBins));
      expect(row.indexOf(Math.max(...row))).toBe(closest);
    }
  });

  // mm-small's front-end (hop divides fftSize, r = 2), r = 4 with a shorter window, and a hop that does not divide fftSize (Gather framing)
  it.each([
    ['hop 128 | 256, r 2', { sampleRate: 8000, frameLength: 256, hop: 128, fftSize: 256, melBins: 32 }, [2000, 1000]],
    ['hop 64 | 256, r 4', { sampleRate: 8000, frameLength: 200, hop: 64, fftSize: 256, melBins: 16 }, [1024, 999]],
    ['hop 80 ∤ 256', OPTS, [800, 1013]],
    ['hop 160 ∤ 512, mm-base', { sampleRate: 16000, frameLength: 400, hop: 160, fftSize: 512, melBins: 80 }, [3200, 3333]],
  ] as [string, LogMelOptions, number[]][])('equals the ONNX STFT formulation on random waveforms (%s)', async (_, o, lens) => {
    for (const len of lens) {
      const g = new Graph();
      const w = g.input('w', 'float32', ['batch', len]);
      const fast = logMelSpectrogram(w, o); // [batch, frames, M]
      expect(g.nodes.some((n) => n.opType === 'STFT')).toBe(false);
      expect(fast.shape).toEqual(['batch', melFrameCount(len, o), o.melBins]);
      const stft = logMelSpectrogramStft(w, o); // [batch, frames, M]
      const res = await runGraph(g, { fast, stft }, { w: randn([3, len], len, 0.3) });
      expect(res.fast!.shape).toEqual(res.stft!.shape);
      const diff = maxAbsDiff(f32(res.fast!), f32(res.stft!));
      expect(diff, `L ${len}`).toBeLessThan(1e-4); // log-mel values are O(1..10); seen ≤ 1e-5 (both are ~as far from a float64 log-mel)
    }
  });

  it.each([
    [256, 128],
    [256, 64],
    [256, 256],
    [256, 80],
    [512, 160],
    [256, 81],
  ])('frames a waveform into [B, F, N] windows of N = %i every %i samples', async (n, hop) => {
    const len = 1013;
    const g = new Graph();
    const w = g.input('w', 'float32', ['batch', len]);
    const frames = frameSignal(w, n, hop); // [batch, F, N]
    const f = melFrameCount(len, { fftSize: n, hop });
    expect(frames.shape).toEqual(['batch', f, n]);
    const x = randn([2, len], 7);
    const got = f32((await runGraph(g, { frames }, { w: x })).frames!);
    const want = [0, 1].flatMap((b) => Array.from({ length: f * n }, (_, i) => x.data[b * len + Math.floor(i / n) * hop + (i % n)]!));
    expect(got).toEqual(want);
  });

  it('builds the windowed DFT basis as [N, 2K] cos / −sin columns', () => {
    const win = paddedHannWindow(6, 8);
    const b = windowedDftBasis(win);
    expect(b.shape).toEqual([8, 10]);
    expect(b.data[3 * 10 + 2]).toBeCloseTo(Math.cos((2 * Math.PI * 6) / 8) * win[3]!, 7);
    expect(b.data[3 * 10 + 5 + 2]).toBeCloseTo(-Math.sin((2 * Math.PI * 6) / 8) * win[3]!, 7);
    expect(b.data.subarray(0, 10).every((v) => v === 0)).toBe(true); // padded window row
  });

  it('falls back to the STFT op for a waveform of non-static length, and rejects one shorter than a frame', () => {
    const g = new Graph();
    const y = logMelSpectrogram(g.input('w', 'float32', ['batch', 'samples']), OPTS); // [batch, frames, M]
    expect(g.nodes.some((n) => n.opType === 'STFT')).toBe(true);
    expect(y.shape[2]).toBe(16);
    expect(() => logMelSpectrogram(g.input('s', 'float32', ['batch', 200]), OPTS)).toThrow(/200 samples are fewer than one frame \(256\)/);
  });

  it('ORT STFT equals a naive DFT for a non-power-of-two size with a rectangular window', async () => {
    const g = new Graph();
    const x = g.input('x', 'float32', ['batch', 40, 1]);
    const y = op.stft(x, 7, { frameLength: 12 }); // [batch, 5, 7, 2]
    expect(y.shape).toEqual(['batch', 5, 7, 2]);
    const xv = randn([2, 40, 1], 5);
    const out = (await runGraph(g, { y }, { x: xv })).y!.data as Float32Array;
    let err = 0;
    for (let b = 0; b < 2; b++)
      for (let f = 0; f < 5; f++)
        for (let k = 0; k < 7; k++) {
          let re = 0;
          let im = 0;
          for (let i = 0; i < 12; i++) {
            const v = xv.data[b * 40 + f * 7 + i]!;
            re += v * Math.cos((2 * Math.PI * k * i) / 12);
            im -= v * Math.sin((2 * Math.PI * k * i) / 12);
          }
          const at = ((b * 5 + f) * 7 + k) * 2;
          err = Math.max(err, Math.abs(out[at]! - re), Math.abs(out[at + 1]! - im));
        }
    expect(err).toBeLessThan(1e-4); // values are O(3); ORT accumulates twiddles in float32
  });

  it('STFT shape inference rejects a bad signal layout and a too-short signal', () => {
    const g = new Graph();
    expect(() => op.stft(g.input('a', 'float32', ['batch', 40]), 4, { frameLength: 8 })).toThrow(/signal must be \[batch, length, 1\]/);
    expect(() => op.stft(g.input('b', 'float32', [1, 6, 1]), 4, { frameLength: 8 })).toThrow(/shorter than one frame/);
  });
});
