/**
 * The sound of a scene: each object, left to right, is heard as one tone in
 * its own time slot — pitch by colour, timbre by shape, loudness by size
 * (the mapping is in ./vocab.ts and ./README.md) — plus a little noise.
 */
import type { Random } from '../../graph/random.js';
import type { Scene } from './scene.js';
import { COLOUR_PITCH_HZ, MAX_OBJECTS, SHAPE_WAVEFORM, SIZE_AMPLITUDE } from './vocab.js';

export interface AudioOptions {
  /** Samples per second (default 8000). */
  sampleRate: number;
  /** Clip length in seconds (default 2). */
  seconds: number;
}

/** Longest tone, in seconds. */
const MAX_TONE_SECONDS = 0.5;
/** Fade-in and fade-out length of each tone, in seconds (raised cosine). */
const FADE_SECONDS = 0.01;
/** Standard deviation of the added white noise (full scale = 1). */
const NOISE_STD = 0.002;
/** Harmonics stop below this fraction of the sample rate (band-limited, no aliasing). */
const MAX_HARMONIC_FRACTION = 0.45;
const TABLE_SIZE = 2048;

/**
 * When object i (0-based, left to right) is heard, in seconds: the clip is cut
 * into MAX_OBJECTS equal slots and each tone (≤ 0.5 s, 80% of a slot at most)
 * is centred in its slot. Empty slots are silent, so the tone count is the object count.
 */
export function toneWindow(i: number, seconds: number): { start: number; end: number } {
  const slot = seconds / MAX_OBJECTS;
  const tone = Math.min(MAX_TONE_SECONDS, 0.8 * slot);
  const start = i * slot + (slot - tone) / 2;
  return { start, end: start + tone };
}

const tables = new Map<string, Float32Array>();

/** One period of a band-limited waveform at `hz`, peak-normalised to 1. */
function wavetable(waveform: 'sine' | 'square' | 'sawtooth', hz: number, sampleRate: number): Float32Array {
  const key = `${waveform}:${hz}:${sampleRate}`;
  const cached = tables.get(key);
  if (cached) return cached;
  const maxHarmonic = waveform === 'sine' ? 1 : Math.max(1, Math.floor((MAX_HARMONIC_FRACTION * sampleRate) / hz));
  const table = new Float32Array(TABLE_SIZE + 1); // one guard sample for interpolation
  for (let n = 1; n <= maxHarmonic; n++) {
    if (waveform === 'square' && n % 2 === 0) continue; // square: odd harmonics, amplitude 1/n
    const amp = 1 / n; // sawtooth: all harmonics, amplitude 1/n
    for (let i = 0; i <= TABLE_SIZE; i++) table[i] = table[i]! + amp * Math.sin((2 * Math.PI * n * i) / TABLE_SIZE);
  }
  let peak = 0;
  for (const v of table) peak = Math.max(peak, Math.abs(v));
  for (let i = 0; i < table.length; i++) table[i] = table[i]! / peak;
  tables.set(key, table);
  return table;
}

/** The audio clip of `scene`: mono float samples in [-1, 1]. `rng` only draws the noise. */
export function synthesizeAudio(scene: Scene, opts: AudioOptions, rng: Random): Float32Array {
  const { sampleRate, seconds } = opts;
  if (!Number.isInteger(sampleRate) || sampleRate < 1000) throw new Error(`synthesizeAudio: sampleRate must be an integer ≥ 1000, got ${sampleRate}`);
  if (!(seconds > 0)) throw new Error(`synthesizeAudio: seconds must be > 0, got ${seconds}`);
  const out = new Float32Array(Math.round(sampleRate * seconds));
  scene.objects.forEach((o, i) => {
    const hz = COLOUR_PITCH_HZ[o.colour];
    const table = wavetable(SHAPE_WAVEFORM[o.shape], hz, sampleRate);
    const amp = SIZE_AMPLITUDE[o.size];
    const { start, end } = toneWindow(i, seconds);
    const s0 = Math.round(start * sampleRate);
    const s1 = Math.min(out.length, Math.round(end * sampleRate));
    const fade = Math.max(1, Math.round(FADE_SECONDS * sampleRate));
    for (let s = s0; s < s1; s++) {
      const k = s - s0;
      const phase = (((hz * k) / sampleRate) % 1) * TABLE_SIZE;
      const j = Math.floor(phase);
      const v = table[j]! + (table[j + 1]! - table[j]!) * (phase - j);
      const edge = Math.min(k, s1 - 1 - s);
      const env = edge >= fade ? 1 : 0.5 - 0.5 * Math.cos((Math.PI * edge) / fade);
      out[s] = amp * env * v;
    }
  });
  for (let s = 0; s < out.length; s++) out[s] = Math.max(-1, Math.min(1, out[s]! + NOISE_STD * rng.normal()));
  return out;
}

/** A mono 16-bit PCM WAV file (44-byte RIFF header) of float samples in [-1, 1]. */
export function encodeWav(samples: Float32Array, sampleRate: number): Uint8Array {
  const bytes = new Uint8Array(44 + samples.length * 2);
  const view = new DataView(bytes.buffer);
  const ascii = (offset: number, s: string) => {
    for (let i = 0; i < s.length; i++) bytes[offset + i] = s.charCodeAt(i);
  };
  ascii(0, 'RIFF');
  view.setUint32(4, 36 + samples.length * 2, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  view.setUint32(16, 16, true); // fmt chunk size
  view.setUint16(20, 1, true); // PCM
  view.setUint16(22, 1, true); // mono
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * 2, true); // byte rate
  view.setUint16(32, 2, true); // block align
  view.setUint16(34, 16, true); // bits per sample
  ascii(36, 'data');
  view.setUint32(40, samples.length * 2, true);
  for (let i = 0; i < samples.length; i++) view.setInt16(44 + i * 2, Math.round(Math.max(-1, Math.min(1, samples[i]!)) * 32767), true);
  return bytes;
}
