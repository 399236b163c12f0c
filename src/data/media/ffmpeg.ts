/**
 * ffmpeg as an optional external decoder (DESIGN §4: audio/video other than
 * WAV and Y4M go through the Debian package `ffmpeg`; ffmpeg-static downloads
 * from outside npm and is not used).
 *
 * The binary is `ffmpeg` on the PATH unless the environment variable
 * MIXMODAL_FFMPEG (or `setFfmpegPath`) names another one; `ffprobe` is looked
 * for next to it (MIXMODAL_FFPROBE overrides). Detection runs `ffmpeg -version`
 * once and is cached. Every decoder that needs ffmpeg and finds none throws
 * `FfmpegMissingError`, whose message names the file it was decoding.
 */
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';

let ffmpegOverride: string | null = null;
let availableCache: boolean | null = null;

/** The ffmpeg binary that will be run. */
export function ffmpegPath(): string {
  return ffmpegOverride ?? process.env.MIXMODAL_FFMPEG ?? 'ffmpeg';
}

/** The ffprobe binary: MIXMODAL_FFPROBE, else `ffprobe` beside a custom ffmpeg, else on the PATH. */
export function ffprobePath(): string {
  if (process.env.MIXMODAL_FFPROBE) return process.env.MIXMODAL_FFPROBE;
  const ff = ffmpegPath();
  return ff.includes(path.sep) ? path.join(path.dirname(ff), 'ffprobe') : 'ffprobe';
}

/** Use another ffmpeg binary (null: back to MIXMODAL_FFMPEG / PATH). Resets the detection cache. */
export function setFfmpegPath(p: string | null): void {
  ffmpegOverride = p;
  availableCache = null;
}

/** Whether ffmpeg runs (`ffmpeg -version` exits 0). Synchronous and cached, so tests can `it.skipIf(!ffmpegAvailable())`. */
export function ffmpegAvailable(): boolean {
  if (availableCache === null) {
    const r = spawnSync(ffmpegPath(), ['-version'], { stdio: 'ignore', timeout: 10_000 });
    availableCache = !r.error && r.status === 0;
  }
  return availableCache;
}

/** ffmpeg is needed to decode `file` and is not installed. */
export class FfmpegMissingError extends Error {
  constructor(readonly file: string) {
    const custom = ffmpegPath() !== 'ffmpeg' ? ` [looked for ${ffmpegPath()}]` : '';
    super(`ffmpeg is not installed: needed to decode ${file} (install the Debian package ffmpeg)${custom}`);
    this.name = 'FfmpegMissingError';
  }
}

/** Throws FfmpegMissingError unless ffmpeg is available. */
export function requireFfmpeg(file: string): void {
  if (!ffmpegAvailable()) throw new FfmpegMissingError(file);
}

export interface RunOptions {
  /** Stop reading (and end ffmpeg) after this many stdout bytes. */
  maxBytes?: number;
  /** Which binary: 'ffmpeg' (default) or 'ffprobe'. */
  tool?: 'ffmpeg' | 'ffprobe';
}

/**
 * Runs ffmpeg (or ffprobe) with `args` and returns its stdout. A non-zero exit
 * is an error naming `file` with ffmpeg's own message; a missing binary is a
 * FfmpegMissingError.
 */
export function runFfmpeg(args: string[], file: string, o: RunOptions = {}): Promise<Buffer> {
  const tool = o.tool ?? 'ffmpeg';
  if (tool === 'ffmpeg') requireFfmpeg(file);
  const bin = tool === 'ffmpeg' ? ffmpegPath() : ffprobePath();
  const maxBytes = o.maxBytes ?? Infinity;
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let bytes = 0;
    let stderr = '';
    let truncated = false;
    child.stdout.on('data', (c: Buffer) => {
      if (truncated) return;
      chunks.push(c);
      bytes += c.length;
      if (bytes >= maxBytes) {
        truncated = true;
        child.kill('SIGKILL');
      }
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr = (stderr + c.toString('utf8')).slice(-4000);
    });
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') {
        if (tool === 'ffmpeg') availableCache = false;
        reject(tool === 'ffmpeg' ? new FfmpegMissingError(file) : new Error(`${tool} is not installed: needed to probe ${file} (install the Debian package ffmpeg)`));
      } else reject(new Error(`${tool} failed to start for ${file}: ${err.message}`));
    });
    child.on('close', (code) => {
      const out = Buffer.concat(chunks);
      if (truncated) return resolve(out.subarray(0, maxBytes));
      if (code === 0) return resolve(out);
      const msg = stderr.trim().split('\n').filter(Boolean).slice(-3).join('; ') || `exit code ${code}`;
      reject(new Error(`${tool} could not decode ${file}: ${msg}`));
    });
  });
}

/** What ffprobe says about the first stream of a kind; fields it cannot tell are absent. */
export interface StreamInfo {
  /** Seconds (the stream's, else the container's). */
  duration?: number;
  /** Frame count from the container (nb_frames; mp4/mov have it, webm/mkv usually not). */
  frames?: number;
  /** Average frame rate in frames per second. */
  fps?: number;
}

const positive = (s: string | undefined): number | undefined => {
  if (s === undefined) return undefined;
  const [a, b] = s.split('/').map(Number);
  const x = b === undefined ? a : a / b;
  return Number.isFinite(x) && x > 0 ? x : undefined;
};

/** Probes the first video ('v') or audio ('a') stream of `file` with ffprobe; {} when ffprobe fails. */
export async function probeStream(file: string, kind: 'v' | 'a' = 'v'): Promise<StreamInfo> {
  let out: Buffer;
  try {
    out = await runFfmpeg(
      ['-v', 'error', '-select_streams', `${kind}:0`, '-show_entries', 'stream=duration,nb_frames,avg_frame_rate:format=duration', '-of', 'json', file],
      file,
      { tool: 'ffprobe' },
    );
  } catch {
    return {};
  }
  type Probe = { streams?: { duration?: string; nb_frames?: string; avg_frame_rate?: string }[]; format?: { duration?: string } };
  let j: Probe;
  try {
    j = JSON.parse(out.toString('utf8')) as Probe;
  } catch {
    return {};
  }
  const st = j.streams?.[0];
  const info: StreamInfo = {};
  const duration = positive(st?.duration) ?? positive(j.format?.duration);
  const frames = positive(st?.nb_frames);
  const fps = positive(st?.avg_frame_rate);
  if (duration !== undefined) info.duration = duration;
  if (frames !== undefined && Number.isInteger(frames)) info.frames = frames;
  if (fps !== undefined) info.fps = fps;
  return info;
}
