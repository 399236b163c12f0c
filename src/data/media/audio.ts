/**
 * Audio to a fixed-length mono waveform at the model's sample rate.
 *
 * WAV is decoded in process by `wavefile` (no ffmpeg needed): integer PCM
 * 8/16/24/32-bit, IEEE float 32/64-bit, and A-law, µ-law and IMA-ADPCM
 * (converted to 16-bit first). Channels are averaged to mono, resampled with
 * the windowed-sinc filter of resample.ts, then cut or zero-padded to exactly
 * `samples`. A WAV in another encoding (e.g. MP3-in-WAV) goes to ffmpeg
 * when it is installed. Everything else (mp3, ogg, flac, m4a, opus, …) goes through
 * `ffmpeg -f f32le -ac 1 -ar RATE` (ffmpeg's own resampler and downmix);
 * without ffmpeg that is a FfmpegMissingError naming the file.
 */
import { createRequire } from 'node:module';
import { readFile } from 'node:fs/promises';
import type WaveFileModule from 'wavefile';
import { resample } from './resample.js';
import { ffmpegAvailable, requireFfmpeg, runFfmpeg } from './ffmpeg.js';
import { withTempFile } from './temp-file.js';

// wavefile's ESM entry (index.js) imports extension-less paths that Node's
// ESM loader rejects; its CommonJS build (package "main") loads fine.
const { WaveFile } = createRequire(import.meta.url)('wavefile') as typeof WaveFileModule;

/** What the model wants: mono at `sampleRate` Hz, exactly `samples` long. */
export interface AudioOptions {
  /** Output sample rate in Hz. */
  sampleRate: number;
  /** Output length in samples (longer clips are cut, shorter ones zero-padded at the end). */
  samples: number;
}

/** A decoded clip before any resampling: one Float32Array in [−1, 1] per channel. */
export interface DecodedAudio {
  sampleRate: number;
  channels: Float32Array[];
}

interface WavFmt {
  audioFormat: number;
  numChannels: number;
  sampleRate: number;
  blockAlign: number;
  bitsPerSample: number;
}

/** A valid WAV whose encoding wavefile cannot decode (e.g. MP3-in-WAV); loadAudio hands it to ffmpeg when present. */
export class UnsupportedWavError extends Error {
  override name = 'UnsupportedWavError';
}

/** Full-scale divisor per integer bit depth (8-bit WAV is unsigned, centred at 128). */
const INT_SCALE: Record<string, number> = { '8': 128, '16': 32768, '24': 8388608, '32': 2147483648 };

/**
 * Decodes WAV bytes (e.g. a base64 upload). `name` is used in errors. A file
 * that is not a WAV, has an unsupported encoding, or is shorter than its
 * data chunk says (truncated) is an error.
 */
export function decodeWav(bytes: Uint8Array, name = 'WAV data'): DecodedAudio {
  const wav = new WaveFile();
  try {
    wav.fromBuffer(bytes);
  } catch (e) {
    throw new Error(`invalid WAV file ${name}: ${(e as Error).message}`);
  }
  const fmt = wav.fmt as WavFmt;
  const data = wav.data as { chunkSize: number; samples: Uint8Array };
  if (!(fmt.numChannels >= 1) || !(fmt.sampleRate > 0) || !(fmt.blockAlign > 0)) {
    throw new Error(`invalid WAV file ${name}: bad fmt chunk (channels ${fmt.numChannels}, rate ${fmt.sampleRate}, block ${fmt.blockAlign})`);
  }
  // wavefile reads whatever bytes are there; a data chunk shorter than declared is a truncated file.
  // (0 and 0xFFFFFFFF are the "unknown length" markers streaming writers leave.)
  const declared = data.chunkSize;
  if (declared !== 0 && declared !== 0xffffffff && data.samples.length < declared) {
    throw new Error(`truncated WAV file ${name}: data chunk declares ${declared} bytes, only ${data.samples.length} present`);
  }
  if (data.samples.length % fmt.blockAlign !== 0) {
    // Drop a trailing partial frame rather than mis-assign channels.
    data.samples = data.samples.subarray(0, data.samples.length - (data.samples.length % fmt.blockAlign));
  }
  let depth = wav.bitDepth;
  try {
    if (depth === '8a') wav.fromALaw();
    else if (depth === '8m') wav.fromMuLaw();
    else if (depth === '4') wav.fromIMAADPCM();
  } catch (e) {
    throw new Error(`invalid WAV file ${name}: ${(e as Error).message}`);
  }
  depth = wav.bitDepth;
  const isFloat = depth === '32f' || depth === '64';
  const scale = isFloat ? 1 : INT_SCALE[depth];
  if (scale === undefined) {
    throw new UnsupportedWavError(`unsupported WAV encoding in ${name}: format ${fmt.audioFormat}, ${fmt.bitsPerSample}-bit (supported: PCM 8/16/24/32-bit, float 32/64-bit, A-law, µ-law, IMA-ADPCM; convert others with ffmpeg)`);
  }
  const offset = depth === '8' ? 128 : 0;
  const raw = wav.getSamples(false, Float64Array) as unknown as Float64Array | Float64Array[];
  const chans = Array.isArray(raw) ? raw : [raw];
  const channels = chans.map((c) => {
    const out = new Float32Array(c.length);
    for (let i = 0; i < c.length; i++) out[i] = (c[i] - offset) / scale;
    return out;
  });
  return { sampleRate: fmt.sampleRate, channels };
}

/** Averages channels into one. */
export function toMono(channels: Float32Array[]): Float32Array {
  if (channels.length === 1) return channels[0];
  const n = Math.min(...channels.map((c) => c.length));
  const out = new Float32Array(n);
  for (const c of channels) for (let i = 0; i < n; i++) out[i] += c[i];
  for (let i = 0; i < n; i++) out[i] /= channels.length;
  return out;
}

/** Cuts or zero-pads `x` to exactly `samples`. */
export function fitLength(x: Float32Array, samples: number): Float32Array {
  if (x.length === samples) return x;
  const out = new Float32Array(samples);
  out.set(x.subarray(0, Math.min(samples, x.length)));
  return out;
}

/** Decoded audio → mono, resampled to o.sampleRate, exactly o.samples long. */
export function prepareAudio(audio: DecodedAudio, o: AudioOptions): Float32Array {
  checkOptions(o);
  const mono = toMono(audio.channels);
  return fitLength(resample(mono, audio.sampleRate, o.sampleRate, Math.min(o.samples, Math.ceil((mono.length * o.sampleRate) / audio.sampleRate))), o.samples);
}

function checkOptions(o: AudioOptions): void {
  if (!Number.isInteger(o.sampleRate) || o.sampleRate <= 0) throw new Error(`audio sampleRate must be a positive integer, got ${o.sampleRate}`);
  if (!Number.isInteger(o.samples) || o.samples < 0) throw new Error(`audio samples must be a non-negative integer, got ${o.samples}`);
}

/** Decodes any non-WAV audio file with ffmpeg: mono f32 at o.sampleRate, at most o.samples long. */
async function ffmpegAudio(file: string, o: AudioOptions): Promise<Float32Array> {
  const seconds = (o.samples + 64) / o.sampleRate;
  const out = await runFfmpeg(
    ['-v', 'error', '-nostdin', '-i', file, '-vn', '-sn', '-t', seconds.toFixed(6), '-f', 'f32le', '-ac', '1', '-ar', String(o.sampleRate), '-'],
    file,
    { maxBytes: o.samples * 4 },
  );
  const n = Math.floor(out.length / 4);
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = out.readFloatLE(i * 4);
  return fitLength(x, o.samples);
}

const isWav = (file: string): boolean => /\.(wav|wave)$/i.test(file);

/** Loads an audio file as mono float in [−1, 1] at o.sampleRate, exactly o.samples long. Errors name the file. */
export async function loadAudio(file: string, o: AudioOptions): Promise<Float32Array> {
  checkOptions(o);
  if (isWav(file)) {
    let bytes: Buffer;
    try {
      bytes = await readFile(file);
    } catch (e) {
      throw new Error(`cannot read audio file ${file}: ${(e as Error).message}`);
    }
    let audio: DecodedAudio;
    try {
      audio = decodeWav(bytes, file);
    } catch (e) {
      if (e instanceof UnsupportedWavError && ffmpegAvailable()) return ffmpegAudio(file, o);
      throw e;
    }
    return prepareAudio(audio, o);
  }
  return ffmpegAudio(file, o);
}

/**
 * Decodes audio bytes (e.g. from an HTTP request). WAV is decoded in memory;
 * other formats (`ext` such as 'mp3', 'ogg') are written to a temporary file
 * for ffmpeg.
 */
export async function decodeAudioBytes(bytes: Uint8Array, ext: string, o: AudioOptions): Promise<Float32Array> {
  checkOptions(o);
  const e = ext.replace(/^\./, '').toLowerCase();
  if (e === 'wav' || e === 'wave') return prepareAudio(decodeWav(bytes, `<${e} bytes>`), o);
  const name = `<${e} bytes>`;
  requireFfmpeg(name);
  return withTempFile(bytes, e, name, (file) => ffmpegAudio(file, o));
}
