/**
 * A manifest with its media decoded: the streaming reader (manifest.ts) plus
 * image/audio/video decoding (media/), with a few examples decoded ahead in
 * parallel and yielded in manifest order.
 *
 * A file that exists but does not decode (a corrupt PNG, a truncated WAV, a
 * video ffmpeg rejects, or ffmpeg missing) is a bad line like any other: a
 * ManifestError naming the line and the field, thrown, or counted and
 * skipped with `skipBad`. A media kind without options in `media` is not
 * decoded (its path is still checked and passed through).
 */
import { loadAudio, type AudioOptions } from './media/audio.js';
import { loadImage, type ImageFit } from './media/image.js';
import { loadVideo, type VideoOptions } from './media/video.js';
import {
  ManifestError,
  ManifestReader,
  MEDIA_FIELDS,
  type ManifestExample,
  type ManifestReport,
  type MediaField,
  type ReadManifestOptions,
} from './manifest.js';
import path from 'node:path';

/** Which media to decode and to what shape (from the model config: imageSize; sampleRate × maxAudioSeconds; videoFrames, videoSize). */
export interface MediaOptions {
  /** Square side and fit of images. */
  image?: { size: number; fit?: ImageFit };
  /** Sample rate and length of the mono waveform. */
  audio?: AudioOptions;
  /** Frame count, side and fit of video clips. */
  video?: VideoOptions;
  /**
   * Decoded media by file, shared between examples: a file that several lines
   * name (a scene's image in its caption and question lines) is decoded once
   * and its array shared. Absent: every example decodes its own.
   */
  cache?: Map<string, Promise<Float32Array>>;
}

/** An example with its media decoded. */
export interface LoadedExample extends ManifestExample {
  /** [3, size, size] RGB in [0, 1]. */
  pixels?: Float32Array;
  /** [samples] mono in [−1, 1]. */
  waveform?: Float32Array;
  /** [F, 3, size, size] RGB in [0, 1]. */
  frames?: Float32Array;
}

export interface LoadManifestOptions extends ReadManifestOptions {
  media: MediaOptions;
  /** Examples decoded ahead in parallel (default 2, the core count here). */
  concurrency?: number;
}

/** Decodes one example's media; a failure is a ManifestError for its line and field. */
export async function loadExample(ex: ManifestExample, media: MediaOptions, manifestPath = 'manifest'): Promise<LoadedExample> {
  const out: LoadedExample = { ...ex };
  const decoders: Record<MediaField, ((file: string) => Promise<Float32Array>) | undefined> = {
    image: media.image && ((f) => loadImage(f, media.image!.size, { fit: media.image!.fit })),
    audio: media.audio && ((f) => loadAudio(f, media.audio!)),
    video: media.video && ((f) => loadVideo(f, media.video!)),
  };
  const key = { image: 'pixels', audio: 'waveform', video: 'frames' } as const;
  for (const f of MEDIA_FIELDS) {
    const file = ex[f];
    const decode = decoders[f];
    if (file === undefined || decode === undefined) continue;
    try {
      const cacheKey = `${f}:${file}`;
      let decoded = media.cache?.get(cacheKey);
      if (!decoded) {
        decoded = decode(file);
        media.cache?.set(cacheKey, decoded);
        decoded.catch(() => media.cache?.delete(cacheKey));
      }
      out[key[f]] = await decoded;
    } catch (e) {
      const rel = path.relative(path.dirname(path.resolve(manifestPath)), file);
      throw new ManifestError(manifestPath, ex.line, f, `${rel}: ${(e as Error).message}`);
    }
  }
  return out;
}

type Outcome = { ok: true; ex: LoadedExample } | { ok: false; err: ManifestError } | { ok: false; fatal: unknown };

/** Examples with decoded media, in manifest order; report() counts bad lines of both kinds. */
export class ManifestLoader implements AsyncIterable<LoadedExample> {
  readonly reader: ManifestReader;
  private yielded = 0;

  constructor(
    readonly path: string,
    readonly options: LoadManifestOptions,
  ) {
    this.reader = new ManifestReader(path, options);
  }

  report(): ManifestReport {
    return { ...this.reader.report(), examples: this.yielded };
  }

  summary(): string {
    return this.reader.summary();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<LoadedExample> {
    this.yielded = 0;
    const ahead = Math.max(1, this.options.concurrency ?? 2);
    const queue: Promise<Outcome>[] = [];
    const start = (ex: ManifestExample): Promise<Outcome> =>
      loadExample(ex, this.options.media, this.path).then(
        (done) => ({ ok: true, ex: done }),
        // never a rejected promise in the queue: it would be "unhandled" until its turn
        (err: unknown) => (err instanceof ManifestError ? { ok: false, err } : { ok: false, fatal: err }),
      );
    const settle = async function* (this: ManifestLoader, o: Outcome): AsyncGenerator<LoadedExample> {
      if (o.ok) {
        this.yielded++;
        yield o.ex;
      } else if ('err' in o) this.reader.bad(o.err); // throws unless skipBad
      else throw o.fatal;
    };
    for await (const ex of this.reader) {
      queue.push(start(ex));
      if (queue.length >= ahead) yield* settle.call(this, await queue.shift()!);
    }
    while (queue.length > 0) yield* settle.call(this, await queue.shift()!);
  }
}

/**
 * Streams a manifest with media decoded:
 * `for await (const ex of loadManifest('m.jsonl', { media: { image: { size: 224 } } }))`.
 */
export function loadManifest(path: string, o: LoadManifestOptions): ManifestLoader {
  return new ManifestLoader(path, o);
}
