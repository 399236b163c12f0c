import { describe, expect, it } from 'vitest';
import wavefile from 'wavefile';
import { Random } from '../../graph/random.js';
import { encodeWav, synthesizeAudio, toneWindow } from './audio.js';
import { sampleScene, type Scene } from './scene.js';
import { COLOUR_PITCH_HZ, SIZE_AMPLITUDE } from './vocab.js';

const SR = 8000;

/** |DFT| of x at frequency f (Hz). */
function magnitude(x: Float32Array, f: number, sr: number): number {
  let re = 0;
  let im = 0;
  const w = (2 * Math.PI * f) / sr;
  for (let n = 0; n < x.length; n++) {
    re += x[n]! * Math.cos(w * n);
    im -= x[n]! * Math.sin(w * n);
  }
  return Math.hypot(re, im) / x.length;
}

/** The samples of tone i, trimmed of its fades. */
function window(x: Float32Array, i: number, seconds: number): Float32Array {
  const { start, end } = toneWindow(i, seconds);
  return x.subarray(Math.round((start + 0.02) * SR), Math.round((end - 0.02) * SR));
}

function dominantHz(x: Float32Array): number {
  let best = 0;
  let bestMag = -1;
  for (let f = 100; f <= 1500; f += 3) {
    const m = magnitude(x, f, SR);
    if (m > bestMag) [best, bestMag] = [f, m];
  }
  return best;
}

const scenes: Scene[] = Array.from({ length: 12 }, (_, i) => sampleScene(9, i));

describe('synthesizeAudio', () => {
  it('the dominant frequency of each object’s window is its colour’s pitch; empty windows are near silent', () => {
    for (const seconds of [2, 1]) {
      for (const scene of scenes) {
        const x = synthesizeAudio(scene, { sampleRate: SR, seconds }, new Random(scene.index));
        expect(x.length).toBe(SR * seconds);
        scene.objects.forEach((o, i) => expect(Math.abs(dominantHz(window(x, i, seconds)) - COLOUR_PITCH_HZ[o.colour]), `${scene.id} ${o.colour}`).toBeLessThanOrEqual(3));
        for (let i = scene.objects.length; i < 3; i++) {
          const w = window(x, i, seconds);
          expect(Math.sqrt(w.reduce((s, v) => s + v * v, 0) / w.length)).toBeLessThan(0.01);
        }
      }
    }
  });

  it('loudness follows size and timbre follows shape', () => {
    const one = (shape: 'circle' | 'square' | 'triangle', size: 'small' | 'large'): Scene => ({
      id: 't',
      index: 0,
      objects: [{ shape, colour: 'red', size, x: 0.5, y: 0.5, motion: 'none' }],
    });
    const f = COLOUR_PITCH_HZ.red;
    const tone = (s: Scene) => window(synthesizeAudio(s, { sampleRate: SR, seconds: 2 }, new Random(1)), 0, 2);
    for (const size of ['small', 'large'] as const) {
      const peak = tone(one('circle', size)).reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      expect(peak).toBeCloseTo(SIZE_AMPLITUDE[size], 1);
    }
    const ratio = (x: Float32Array, k: number) => magnitude(x, k * f, SR) / magnitude(x, f, SR);
    const sine = tone(one('circle', 'large'));
    const square = tone(one('square', 'large'));
    const saw = tone(one('triangle', 'large'));
    expect(ratio(sine, 2)).toBeLessThan(0.02);
    expect(ratio(sine, 3)).toBeLessThan(0.02);
    expect(ratio(square, 2)).toBeLessThan(0.02); // odd harmonics only
    expect(ratio(square, 3)).toBeCloseTo(1 / 3, 1);
    expect(ratio(saw, 2)).toBeCloseTo(1 / 2, 1); // every harmonic
    expect(ratio(saw, 3)).toBeCloseTo(1 / 3, 1);
  });
});

describe('encodeWav', () => {
  it('writes a mono 16-bit PCM file that wavefile reads back', () => {
    const x = synthesizeAudio(scenes[0]!, { sampleRate: SR, seconds: 1 }, new Random(2));
    const bytes = encodeWav(x, SR);
    expect(bytes.length).toBe(44 + 2 * x.length);
    const wav = new wavefile.WaveFile(bytes);
    const fmt = wav.fmt as { sampleRate: number; numChannels: number; bitsPerSample: number; audioFormat: number };
    expect([fmt.sampleRate, fmt.numChannels, fmt.bitsPerSample, fmt.audioFormat]).toEqual([SR, 1, 16, 1]);
    const samples = wav.getSamples(false, Float64Array) as unknown as Float64Array;
    expect(samples.length).toBe(x.length);
    for (let i = 0; i < x.length; i += 97) expect(samples[i]! / 32767).toBeCloseTo(x[i]!, 4);
  });
});
