/**
 * Uploaded media → the model's input tensors, with the server's limits
 * checked before the expensive decode: images from data: URLs (sharp;
 * pixel limit), audio from base64 (WAV in process, others by ffmpeg;
 * seconds limit), video from base64 (Y4M in process, MP4/WebM by ffmpeg;
 * seconds limit). Every failure is a 400 naming the field.
 */
import sharp, { type Metadata } from 'sharp';
import { decodeImageBytes, decodeVideoBytes, decodeWav, ffmpegAvailable, loadAudio, loadVideo, prepareAudio, probeStream, Y4mReader } from '../../data/media/index.js';
import { withTempFile } from '../../data/media/temp-file.js';
import type { ModelConfig } from '../../model/config.js';
import { audioSamples, videoDecodeShape } from '../../model/model-inputs.js';
import type { LimitsConfig } from '../config.js';
import { ApiError, badRequest } from './openai-errors.js';

export interface MediaContext {
  cfg: ModelConfig;
  limits: LimitsConfig;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const BASE64URL = /^[A-Za-z0-9_-]*={0,2}$/;

/** Strict base64 (standard or URL-safe alphabet, whitespace ignored). */
export function decodeBase64(data: string, param: string): Buffer {
  const s = data.replace(/\s+/g, '');
  if (s.length === 0) throw badRequest(param, `'${param}' is empty: expected base64-encoded bytes`);
  if (!BASE64.test(s) && !BASE64URL.test(s)) throw badRequest(param, `'${param}' is not valid base64`, 'invalid_base64');
  return Buffer.from(s, BASE64.test(s) ? 'base64' : 'base64url');
}

/** `data:<mime>[;…];base64,<data>` → mime and bytes. */
export function parseDataUrl(url: string, param: string): { mime: string; bytes: Buffer } {
  if (!url.startsWith('data:')) {
    throw badRequest(param, `'${param}' must be a data: URL (data:image/png;base64,…); the server does not fetch remote URLs`, 'unsupported_url');
  }
  const comma = url.indexOf(',');
  if (comma < 0) throw badRequest(param, `'${param}' is not a valid data: URL (no comma before the data)`, 'invalid_data_url');
  const meta = url.slice(5, comma).split(';');
  if (!meta.includes('base64')) throw badRequest(param, `'${param}' must be a base64 data: URL (data:<type>;base64,…)`, 'invalid_data_url');
  return { mime: meta[0]!.toLowerCase(), bytes: decodeBase64(url.slice(comma + 1), param) };
}

/** An image_url part → [3, S, S] floats in [0, 1]. */
export async function imageInput(url: string, ctx: MediaContext, param: string): Promise<Float32Array> {
  const { mime, bytes } = parseDataUrl(url, param);
  if (mime && !mime.startsWith('image/')) throw badRequest(param, `'${param}' is a data: URL of type '${mime}', not an image`, 'invalid_image');
  let meta: Metadata;
  try {
    meta = await sharp(bytes, { failOn: 'error' }).metadata();
  } catch (e) {
    throw badRequest(param, `'${param}' is not a decodable image: ${(e as Error).message}`, 'invalid_image');
  }
  const pixels = (meta.width ?? 0) * (meta.height ?? 0);
  if (pixels > ctx.limits.imagePixels) {
    throw badRequest(param, `'${param}' is ${meta.width}×${meta.height} = ${pixels} pixels; the limit is ${ctx.limits.imagePixels} (limits.imagePixels)`, 'image_too_large');
  }
  try {
    return await decodeImageBytes(bytes, ctx.cfg.image.imageSize, { name: param }); // [3, S, S], the training preprocessing
  } catch (e) {
    throw badRequest(param, `'${param}' is not a decodable image: ${(e as Error).message}`, 'invalid_image');
  }
}

function checkSeconds(seconds: number | undefined, limit: number, param: string, what: string, key: string): void {
  if (seconds !== undefined && seconds > limit + 1e-6) {
    throw badRequest(param, `'${param}' is ${seconds.toFixed(2)} s of ${what}; the limit is ${limit} s (limits.${key})`, `${what}_too_long`);
  }
}

function needFfmpeg(param: string, format: string, alt: string): void {
  if (!ffmpegAvailable()) throw new ApiError(400, `'${param}': ${format} needs ffmpeg, which is not installed on this server; send ${alt}`, param, 'unsupported_format');
}

/** An input_audio part → [L] mono samples at the model's rate, padded/cut to its length. */
export async function audioInput(data: string, format: string, ctx: MediaContext, param: string): Promise<Float32Array> {
  const bytes = decodeBase64(data, param);
  const o = { sampleRate: ctx.cfg.audio.sampleRate, samples: audioSamples(ctx.cfg) };
  if (format === 'wav') {
    let audio;
    try {
      audio = decodeWav(bytes, param);
    } catch (e) {
      throw badRequest(param, `'${param}' is not a valid WAV file: ${(e as Error).message}`, 'invalid_audio');
    }
    checkSeconds((audio.channels[0]?.length ?? 0) / audio.sampleRate, ctx.limits.audioSeconds, param, 'audio', 'audioSeconds');
    return prepareAudio(audio, o);
  }
  needFfmpeg(param, format, 'WAV');
  return withTempFile(bytes, format, param, async (file) => {
    const info = await probeStream(file, 'a');
    if (info.duration === undefined) throw badRequest(param, `'${param}' is not decodable ${format} audio`, 'invalid_audio');
    checkSeconds(info.duration, ctx.limits.audioSeconds, param, 'audio', 'audioSeconds');
    try {
      return await loadAudio(file, o);
    } catch (e) {
      throw badRequest(param, `'${param}' is not decodable ${format} audio: ${(e as Error).message}`, 'invalid_audio');
    }
  });
}

/** A video part → [F, 3, S, S] frames sampled evenly over the clip. */
export async function videoInput(data: string, format: string, ctx: MediaContext, param: string): Promise<Float32Array> {
  const bytes = decodeBase64(data, param);
  const o = videoDecodeShape(ctx.cfg);
  if (format === 'y4m') {
    try {
      const r = await Y4mReader.open(bytes, param);
      const [num, den] = r.header.fps;
      await r.close();
      if (num > 0 && den > 0) checkSeconds((r.frameCount * den) / num, ctx.limits.videoSeconds, param, 'video', 'videoSeconds');
      return await decodeVideoBytes(bytes, 'y4m', o);
    } catch (e) {
      if (e instanceof ApiError) throw e;
      throw badRequest(param, `'${param}' is not a valid Y4M video: ${(e as Error).message}`, 'invalid_video');
    }
  }
  needFfmpeg(param, format, 'Y4M');
  return withTempFile(bytes, format, param, async (file) => {
    const info = await probeStream(file, 'v');
    if (info.duration === undefined && info.frames === undefined) throw badRequest(param, `'${param}' is not decodable ${format} video`, 'invalid_video');
    checkSeconds(info.duration, ctx.limits.videoSeconds, param, 'video', 'videoSeconds');
    try {
      return await loadVideo(file, o);
    } catch (e) {
      throw badRequest(param, `'${param}' is not decodable ${format} video: ${(e as Error).message}`, 'invalid_video');
    }
  });
}
