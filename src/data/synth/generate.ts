/**
 * Writes a synthetic multimodal data set:
 *
 *   DIR/manifest.jsonl  one example per line (see ManifestLine), media paths relative to DIR
 *   DIR/scenes.jsonl    the ground truth: each scene's split and objects
 *   DIR/img/<scene>.png RGB image          DIR/wav/<scene>.wav mono 16-bit PCM
 *   DIR/vid/<scene>.y4m YUV4MPEG2 C444     DIR/synth.json      options, counts, vocabulary, mappings
 *
 * Deterministic: the same options give byte-identical files. Media are
 * written as scenes are generated; the manifest, scenes.jsonl and synth.json
 * are written atomically at the end, so a manifest never names missing media.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { Random } from '../../graph/random.js';
import { writeFileAtomic } from '../../runtime/atomic-write.js';
import { writeY4m } from '../media/y4m.js';
import { encodeWav, synthesizeAudio, toneWindow } from './audio.js';
import { mediaPaths, sceneLines, sceneText, type ManifestLine, type QuestionCounts, type SceneText } from './examples.js';
import { renderObjects, type RgbImage } from './raster.js';
import { sampleScene, type Scene } from './scene.js';
import { assignSplits, checkFractions, SPLITS, type Split, type SplitFractions } from './splits.js';
import { renderVideo } from './video.js';
import * as vocab from './vocab.js';

export interface SynthOptions extends QuestionCounts, SplitFractions {
  /** Number of scenes (each gives several manifest lines). */
  n: number;
  /** World seed: scene i depends on (seed, i) only. */
  seed: number;
  /** Image side in pixels (default 64). */
  imageSize: number;
  /** Video frame side in pixels (default 32). */
  videoSize: number;
  /** Video frames (default 8). */
  videoFrames: number;
  /** Audio sample rate in Hz (default 8000). */
  sampleRate: number;
  /** Audio clip length in seconds (default 2). */
  audioSeconds: number;
  /**
   * Also write each scene's image and video as a pair with no text
   * (`<id>-iv`, default false): stage 2 then aligns the video encoder with
   * the image encoder, whose features name shapes (video frame 0 is the image).
   */
  imageVideoPairs: boolean;
}

export const DEFAULT_SYNTH_OPTIONS: Omit<SynthOptions, 'n'> = {
  seed: 1,
  imageSize: 64,
  videoSize: 32,
  videoFrames: 8,
  sampleRate: 8000,
  audioSeconds: 2,
  imageVideoPairs: false,
  questions: 3,
  audioQuestions: 1,
  videoQuestions: 1,
  val: 0.1,
  test: 0.1,
};

/** What synth.json holds. */
export interface SynthSummary {
  format: 'mixmodal-synth/1';
  options: SynthOptions;
  counts: {
    scenes: Record<Split, number>;
    examples: Record<Split, number>;
    /** Scenes by number of objects. */
    objects: Record<string, number>;
    /** Questions by family. */
    families: Record<string, number>;
    /** Yes/no answers over all questions. */
    answers: { yes: number; no: number };
  };
  vocabulary: { shapes: string[]; colours: string[]; sizes: string[]; directions: string[]; numbers: string[]; words: string[] };
  image: { background: readonly number[]; colours: Record<string, readonly number[]>; sizeRadius: Record<string, number> };
  sound: {
    pitchHz: Record<string, number>;
    waveform: Record<string, string>;
    amplitude: Record<string, number>;
    order: string;
    toneWindows: Array<{ start: number; end: number }>;
  };
  video: { motionDistance: number; fps: [number, number]; motion: string };
  files: Record<string, string>;
}

/** Checks every option, with an error naming the bad one. */
export function checkSynthOptions(o: SynthOptions): void {
  const int = (name: Exclude<keyof SynthOptions, 'imageVideoPairs'>, min: number) => {
    const v = o[name];
    if (!Number.isInteger(v) || v < min) throw new Error(`synth: ${name} must be an integer ≥ ${min}, got ${v}`);
  };
  int('n', 1);
  if (!Number.isSafeInteger(o.seed)) throw new Error(`synth: seed must be a safe integer, got ${o.seed}`);
  int('imageSize', 8);
  int('videoSize', 8);
  int('videoFrames', 2);
  int('sampleRate', 2000);
  int('questions', 0);
  int('audioQuestions', 0);
  int('videoQuestions', 0);
  if (!(Number.isFinite(o.audioSeconds) && o.audioSeconds >= 0.25)) throw new Error(`synth: audioSeconds must be ≥ 0.25, got ${o.audioSeconds}`);
  if (typeof o.imageVideoPairs !== 'boolean') throw new Error(`synth: imageVideoPairs must be true or false, got ${o.imageVideoPairs}`);
  checkFractions(o);
}

/** The PNG bytes of an RGB image (sharp; deterministic for a given sharp version). */
export async function encodePng(img: RgbImage): Promise<Uint8Array> {
  return sharp(Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength), { raw: { width: img.width, height: img.height, channels: 3 } })
    .png({ compressionLevel: 6 })
    .toBuffer();
}

/** Renders and writes one scene's image, audio and video. */
async function writeMedia(dir: string, scene: Scene, o: SynthOptions): Promise<void> {
  const m = mediaPaths(scene);
  const png = await encodePng(renderObjects(scene.objects, o.imageSize));
  const rng = new Random(o.seed).fork('synth.audio').fork(scene.index);
  const wav = encodeWav(synthesizeAudio(scene, { sampleRate: o.sampleRate, seconds: o.audioSeconds }, rng), o.sampleRate);
  const y4m = writeY4m(renderVideo(scene, { frames: o.videoFrames, size: o.videoSize }));
  await Promise.all([writeFile(join(dir, m.image), png), writeFile(join(dir, m.audio), wav), writeFile(join(dir, m.video), y4m)]);
}

/** Scenes rendered at once (sharp encodes on libuv's thread pool). */
const CONCURRENCY = 4;

/**
 * Generates `n` scenes into `outDir` (created if missing; existing files of the
 * same names are overwritten). Returns what it wrote to synth.json.
 */
export async function generateSynth(
  outDir: string,
  options: Partial<SynthOptions> & { n: number },
  onProgress?: (done: number, total: number) => void,
): Promise<SynthSummary> {
  const { n, ...rest } = options;
  const o: SynthOptions = { n, ...DEFAULT_SYNTH_OPTIONS, ...rest };
  checkSynthOptions(o);
  for (const sub of ['img', 'wav', 'vid']) await mkdir(join(outDir, sub), { recursive: true });
  const splits = assignSplits(o.n, o.seed, o);
  const scenes: Scene[] = new Array(o.n);
  const texts: SceneText[] = new Array(o.n);
  const lines: ManifestLine[][] = new Array(o.n);
  let next = 0;
  let done = 0;
  const worker = async () => {
    for (let i = next++; i < o.n; i = next++) {
      const scene = sampleScene(o.seed, i);
      scenes[i] = scene;
      texts[i] = sceneText(scene, o.seed, o);
      lines[i] = sceneLines(scene, splits[i]!, texts[i]!, { imageVideoPairs: o.imageVideoPairs });
      await writeMedia(outDir, scene, o);
      onProgress?.(++done, o.n);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, o.n) }, worker));

  const manifest = lines.flat();
  const summary = summarise(o, scenes, splits, texts, lines);
  const jsonl = (rows: unknown[]) => new TextEncoder().encode(rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  const sceneRows = scenes.map((s, i) => ({ id: s.id, split: splits[i], objects: s.objects.map((ob) => ({ ...ob, x: round6(ob.x), y: round6(ob.y) })) }));
  await writeFileAtomic(join(outDir, 'scenes.jsonl'), jsonl(sceneRows));
  await writeFileAtomic(join(outDir, 'manifest.jsonl'), jsonl(manifest));
  await writeFileAtomic(join(outDir, 'synth.json'), new TextEncoder().encode(JSON.stringify(summary, null, 2) + '\n'));
  return summary;
}

const round6 = (v: number): number => Math.round(v * 1e6) / 1e6;

function summarise(o: SynthOptions, scenes: Scene[], splits: Split[], texts: SceneText[], lines: ManifestLine[][]): SynthSummary {
  const zero = (): Record<Split, number> => Object.fromEntries(SPLITS.map((s) => [s, 0])) as Record<Split, number>;
  const sceneCounts = zero();
  const exampleCounts = zero();
  const objects: Record<string, number> = {};
  const words = new Set<string>();
  const answers = { yes: 0, no: 0 };
  splits.forEach((s, i) => {
    sceneCounts[s]++;
    exampleCounts[s] += lines[i]!.length;
    const k = String(scenes[i]!.objects.length);
    objects[k] = (objects[k] ?? 0) + 1;
  });
  const families: Record<string, number> = {};
  for (const t of texts) {
    for (const qa of [...t.imageQa, ...t.audioQa, ...t.videoQa]) families[qa.family] = (families[qa.family] ?? 0) + 1;
  }
  for (const line of lines.flat()) {
    for (const s of [line.text, line.caption, line.question, line.answer]) for (const w of s?.split(/[\s,?]+/) ?? []) if (w) words.add(w);
    if (line.answer === 'yes') answers.yes++;
    if (line.answer === 'no') answers.no++;
  }
  return {
    format: 'mixmodal-synth/1',
    options: o,
    counts: { scenes: sceneCounts, examples: exampleCounts, objects, families: Object.fromEntries(Object.entries(families).sort()), answers },
    vocabulary: {
      shapes: [...vocab.SHAPES],
      colours: [...vocab.COLOURS],
      sizes: [...vocab.SIZES],
      directions: [...vocab.DIRECTIONS],
      numbers: [...vocab.NUMBER_WORDS],
      words: [...words].sort(),
    },
    image: { background: vocab.BACKGROUND_RGB, colours: vocab.COLOUR_RGB, sizeRadius: vocab.SIZE_RADIUS },
    sound: {
      pitchHz: vocab.COLOUR_PITCH_HZ,
      waveform: vocab.SHAPE_WAVEFORM,
      amplitude: vocab.SIZE_AMPLITUDE,
      order: 'objects left to right, object i in tone window i; empty windows are silent',
      toneWindows: Array.from({ length: vocab.MAX_OBJECTS }, (_, i) => toneWindow(i, o.audioSeconds)),
    },
    video: { motionDistance: vocab.MOTION_DISTANCE, fps: [o.videoFrames, 1], motion: 'constant speed from the image position, frame 0 = image' },
    files: {
      manifest: 'manifest.jsonl',
      scenes: 'scenes.jsonl',
      image: 'img/<scene>.png',
      audio: 'wav/<scene>.wav',
      video: 'vid/<scene>.y4m',
    },
  };
}
