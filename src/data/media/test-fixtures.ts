/**
 * Test fixtures generated on the fly: tones, WAV bytes (wavefile), solid or
 * striped images (sharp), and mp4/mp3/webm files encoded by ffmpeg from raw
 * data. Used by the media and manifest tests; not part of the library API.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import type WaveFileModule from 'wavefile';
import { ffmpegPath } from './ffmpeg.js';

const { WaveFile } = createRequire(import.meta.url)('wavefile') as typeof WaveFileModule;

/** A fresh temporary directory. */
export function tempDir(prefix = 'mixmodal-test-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** amp·sin(2π·freq·t) sampled at `rate` for `seconds`. */
export function tone(freq: number, rate: number, seconds: number, amp = 0.5): Float32Array {
  const n = Math.round(rate * seconds);
  return Float32Array.from({ length: n }, (_, i) => amp * Math.sin((2 * Math.PI * freq * i) / rate));
}

export type WavDepth = '8' | '16' | '24' | '32' | '32f';

/** Encodes float channels in [−1, 1] as a WAV file of the given bit depth. */
export function wavBytes(channels: Float32Array[], rate: number, depth: WavDepth = '16'): Uint8Array {
  const n = channels[0].length;
  const inter = new Float64Array(n * channels.length);
  const full = { '8': 127, '16': 32767, '24': 8388607, '32': 2147483647, '32f': 1 }[depth];
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < channels.length; c++) {
      const v = Math.max(-1, Math.min(1, channels[c][i]));
      inter[i * channels.length + c] = depth === '32f' ? v : depth === '8' ? Math.round(v * full + 128) : Math.round(v * full);
    }
  }
  const wav = new WaveFile();
  wav.fromScratch(channels.length, rate, depth, inter);
  return wav.toBuffer();
}

/** Writes an image of vertical colour stripes (equal widths) in the format given by the extension. */
export async function writeStripes(file: string, width: number, height: number, colours: [number, number, number][]): Promise<void> {
  const rgb = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const c = colours[Math.min(colours.length - 1, Math.floor((x * colours.length) / width))];
      rgb.set(c, 3 * (y * width + x));
    }
  }
  await sharp(rgb, { raw: { width, height, channels: 3 } }).toFile(file);
}

/** Runs ffmpeg with raw input on stdin; throws with ffmpeg's message on failure. */
function ffmpegFromRaw(args: string[], input: Uint8Array): void {
  const r = spawnSync(ffmpegPath(), ['-v', 'error', '-y', ...args], { input, timeout: 30_000 });
  if (r.status !== 0) throw new Error(`fixture ffmpeg failed: ${r.stderr?.toString() ?? r.error?.message}`);
}

/** Writes a video whose frame i is solid grey level levels[i], at `fps`, encoded by ffmpeg (mp4: mpeg4, webm: vp8). */
export function writeGreyVideo(file: string, levels: number[], size = 32, fps = 10): void {
  const frame = size * size * 3;
  const raw = Buffer.alloc(levels.length * frame);
  levels.forEach((v, i) => raw.fill(v, i * frame, (i + 1) * frame));
  const codec = file.endsWith('.webm') ? ['-c:v', 'libvpx', '-b:v', '1M'] : ['-c:v', 'mpeg4', '-q:v', '1'];
  ffmpegFromRaw(['-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${size}x${size}`, '-r', String(fps), '-i', '-', ...codec, '-pix_fmt', 'yuv420p', file], raw);
}

/** Writes mono float samples as an audio file encoded by ffmpeg (format from the extension, e.g. .mp3; `codec` e.g. ['-c:a', 'libmp3lame']). */
export function writeAudioFile(file: string, samples: Float32Array, rate: number, codec: string[] = []): void {
  ffmpegFromRaw(['-f', 'f32le', '-ar', String(rate), '-ac', '1', '-i', '-', ...codec, file], new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength));
}

/** |Σ x[n]·e^{−2πi f n / rate}| · 2 / N: the amplitude of a sinusoid at f. */
export function amplitudeAt(x: Float32Array, freq: number, rate: number): number {
  let re = 0;
  let im = 0;
  for (let n = 0; n < x.length; n++) {
    const a = (2 * Math.PI * freq * n) / rate;
    re += x[n] * Math.cos(a);
    im -= x[n] * Math.sin(a);
  }
  return (2 * Math.hypot(re, im)) / x.length;
}

/** Root mean square. */
export function rms(x: Float32Array): number {
  let s = 0;
  for (const v of x) s += v * v;
  return Math.sqrt(s / Math.max(1, x.length));
}
