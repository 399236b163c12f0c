/**
 * Video to F square RGB frames: [F, 3, size, size] float in [0, 1].
 *
 * Frames are sampled evenly over the whole clip at the centres of F equal
 * segments: frame k shows time (k + ½)·D/F. A clip with fewer than F frames
 * repeats frames (nearest) rather than padding with black. Each frame is
 * resized like an image (image.ts; default fit 'cover' = scale the shorter
 * side and centre-crop).
 *
 * - `.y4m` is decoded in TypeScript (y4m.ts): frame headers are indexed, then
 *   only the frames at indices ⌊(k + ½)·N/F⌋ are read.
 * - Everything else (mp4, webm, mkv, avi, mov, …) goes through ffmpeg. The
 *   frame count N comes from ffprobe (nb_frames, else duration × average
 *   frame rate); ffmpeg then decodes with `select='eq(n,i₀)+…'` on the same
 *   indices ⌊(k + ½)·N/F⌋ and `-vsync passthrough`, so it emits only the
 *   distinct sampled frames, already scaled/cropped to size×size
 *   (`-f rawvideo -pix_fmt rgb24`). If ffprobe cannot tell N, every frame is
 *   decoded at size×size and F are picked from them (memory N·size²·3 bytes).
 *   Without ffmpeg: FfmpegMissingError naming the file.
 */
import path from 'node:path';
import { resizeRgb, rgbToChw, type ImageFit } from './image.js';
import { probeStream, requireFfmpeg, runFfmpeg } from './ffmpeg.js';
import { withTempFile } from './temp-file.js';
import { Y4mReader } from './y4m.js';

export interface VideoOptions {
  /** Frames F sampled over the clip. */
  frames: number;
  /** Side of each square output frame in pixels. */
  size: number;
  /** How a non-square frame becomes square (default 'cover'). */
  fit?: ImageFit;
}

/** Indices of the F frames sampled from an N-frame clip: ⌊(k + ½)·N/F⌋ for k = 0…F−1. */
export function evenFrameIndices(n: number, f: number): number[] {
  return Array.from({ length: f }, (_, k) => Math.min(n - 1, Math.floor(((k + 0.5) * n) / f)));
}

function checkOptions(o: VideoOptions): void {
  if (!Number.isInteger(o.frames) || o.frames <= 0) throw new Error(`video frames must be a positive integer, got ${o.frames}`);
  if (!Number.isInteger(o.size) || o.size <= 0) throw new Error(`video size must be a positive integer, got ${o.size}`);
}

async function y4mVideo(input: string | Uint8Array, name: string, o: VideoOptions): Promise<Float32Array> {
  const reader = await Y4mReader.open(input, name);
  try {
    const { width, height } = reader.header;
    const frameLen = 3 * o.size * o.size;
    const out = new Float32Array(o.frames * frameLen); // [F, 3, size, size]
    let prev = -1;
    let prevFrame: Float32Array | null = null;
    for (const [k, i] of evenFrameIndices(reader.frameCount, o.frames).entries()) {
      if (i !== prev || !prevFrame) prevFrame = await resizeRgb(await reader.frameRgb(i), width, height, o.size, o.fit ?? 'cover');
      prev = i;
      out.set(prevFrame, k * frameLen);
    }
    return out;
  } finally {
    await reader.close();
  }
}

/** The ffmpeg scale(+crop) filter that matches image.ts's fit. */
function scaleFilter(size: number, fit: ImageFit): string {
  switch (fit) {
    case 'fill':
      return `scale=${size}:${size}`;
    case 'contain':
      return `scale=${size}:${size}:force_original_aspect_ratio=decrease,pad=${size}:${size}:(ow-iw)/2:(oh-ih)/2:white`;
    case 'cover':
      return `scale=${size}:${size}:force_original_aspect_ratio=increase,crop=${size}:${size}`;
  }
}

/** Frame count N of the first video stream: nb_frames, else round(duration · fps); null when unknown. */
async function probeFrameCount(file: string): Promise<number | null> {
  const info = await probeStream(file, 'v');
  if (info.frames) return info.frames;
  if (info.duration && info.fps) return Math.max(1, Math.round(info.duration * info.fps));
  return null;
}

async function ffmpegVideo(file: string, o: VideoOptions): Promise<Float32Array> {
  requireFfmpeg(file);
  const fit = o.fit ?? 'cover';
  const frameBytes = 3 * o.size * o.size;
  const scale = `${scaleFilter(o.size, fit)},setsar=1`;
  // passthrough: one output frame per selected input frame (no CFR duplication)
  const head = ['-v', 'error', '-nostdin', '-i', file, '-an', '-sn', '-dn'];
  const tail = ['-vsync', 'passthrough', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'];
  const n = await probeFrameCount(file);
  let rgb: Buffer;
  let slot: number[]; // output frame k ← decoded frame slot[k]
  if (n !== null) {
    const idx = evenFrameIndices(n, o.frames);
    const unique = [...new Set(idx)];
    const select = `select='${unique.map((i) => `eq(n\\,${i})`).join('+')}'`;
    rgb = await runFfmpeg([...head, '-vf', `${select},${scale}`, ...tail], file, { maxBytes: unique.length * frameBytes });
    const got = Math.floor(rgb.length / frameBytes);
    // fewer than selected (the container over-stated N): repeat the last frame decoded
    slot = idx.map((i) => Math.min(unique.indexOf(i), got - 1));
  } else {
    rgb = await runFfmpeg([...head, '-vf', scale, ...tail], file, { maxBytes: 1 << 30 });
    slot = evenFrameIndices(Math.floor(rgb.length / frameBytes), o.frames);
  }
  if (rgb.length < frameBytes) throw new Error(`no video frames decoded from ${file}`);
  const out = new Float32Array(o.frames * frameBytes); // [F, 3, size, size]
  for (const [k, i] of slot.entries()) out.set(rgbToChw(rgb.subarray(i * frameBytes, (i + 1) * frameBytes), o.size, o.size), k * frameBytes);
  return out;
}

/** Loads a video file as [F, 3, size, size] float RGB in [0, 1]. Errors name the file. */
export async function loadVideo(file: string, o: VideoOptions): Promise<Float32Array> {
  checkOptions(o);
  if (path.extname(file).toLowerCase() === '.y4m') return y4mVideo(file, file, o);
  return ffmpegVideo(file, o);
}

/**
 * Decodes video bytes (e.g. an upload) with extension `ext` ('y4m', 'mp4',
 * 'webm', …). Y4M is decoded in memory; other formats go through a temporary
 * file for ffmpeg.
 */
export async function decodeVideoBytes(bytes: Uint8Array, ext: string, o: VideoOptions): Promise<Float32Array> {
  checkOptions(o);
  const e = ext.replace(/^\./, '').toLowerCase();
  const name = `<${e} bytes>`;
  if (e === 'y4m') return y4mVideo(bytes, name, o);
  requireFfmpeg(name);
  return withTempFile(bytes, e, name, (file) => ffmpegVideo(file, o));
}
