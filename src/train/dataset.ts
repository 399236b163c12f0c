/**
 * A split of a manifest ready for training and evaluation: media decoded to
 * the model config's shapes (each file once, shared between the lines that
 * name it) and texts tokenized. What each example teaches:
 *
 * - `pairText` = text ?? caption: the text side of contrastive pairs and retrieval;
 * - `prompt` = question, or text when it is not the target: the text input of instruction tuning;
 * - `target` = answer ?? caption: what the decoder learns to write.
 */
import type { LoadedExample } from '../data/manifest-loader.js';
import { loadManifest } from '../data/manifest-loader.js';
import type { ManifestReport, Split } from '../data/manifest.js';
import type { BpeTokenizer } from '../data/tokenizer/tokenizer.js';
import type { ModelConfig } from '../model/config.js';
import { audioSamples, videoDecodeShape } from '../model/model-inputs.js';

export interface DatasetExample {
  id: string;
  split: Split;
  /** Manifest line (for messages). */
  line: number;
  /** Examples of one scene share it (synthetic ids `s000123-q0` → `s000123`; otherwise the id). */
  group: string;
  text?: string;
  caption?: string;
  question?: string;
  answer?: string;
  image?: Float32Array;
  audio?: Float32Array;
  video?: Float32Array;
  /** Media file paths, to tell shared media apart. */
  files: { image?: string; audio?: string; video?: string };
  pairText?: number[];
  prompt?: number[];
  target?: number[];
}

export interface LoadDatasetOptions {
  split: Split;
  skipBad?: boolean;
  /** Called every few examples with the count loaded so far. */
  onProgress?: (loaded: number) => void;
  /** Stop after this many examples (quick runs). */
  limit?: number;
}

/** Reads and decodes one split of a manifest. */
export async function loadDataset(
  manifestPath: string,
  cfg: ModelConfig,
  tokenizer: BpeTokenizer,
  o: LoadDatasetOptions,
): Promise<{ examples: DatasetExample[]; report: ManifestReport; summary: string }> {
  const loader = loadManifest(manifestPath, {
    split: o.split,
    skipBad: o.skipBad,
    media: {
      image: { size: cfg.image.imageSize },
      audio: { sampleRate: cfg.audio.sampleRate, samples: audioSamples(cfg) },
      video: videoDecodeShape(cfg),
      cache: new Map(),
    },
  });
  const examples: DatasetExample[] = [];
  for await (const ex of loader) {
    examples.push(toDatasetExample(ex, cfg, tokenizer));
    if (examples.length % 100 === 0) o.onProgress?.(examples.length);
    if (o.limit !== undefined && examples.length >= o.limit) break;
  }
  o.onProgress?.(examples.length);
  return { examples, report: loader.report(), summary: loader.summary() };
}

/** Synthetic scene ids end in `-<role>`; examples of one scene share the part before it. */
export function groupOf(id: string): string {
  const m = /^(.*)-[a-z]+\d*$/.exec(id);
  return m ? m[1]! : id;
}

export function toDatasetExample(ex: LoadedExample, cfg: ModelConfig, tok: BpeTokenizer): DatasetExample {
  const textLen = cfg.text.maxTextLen;
  const targetLen = cfg.decoder.maxLen - 1; // room for bos / eos
  const targetText = ex.answer ?? ex.caption;
  const promptText = ex.question ?? (ex.text !== undefined && ex.text !== targetText ? ex.text : undefined);
  const pair = ex.text ?? ex.caption;
  return {
    id: ex.id,
    split: ex.split,
    line: ex.line,
    group: groupOf(ex.id),
    text: ex.text,
    caption: ex.caption,
    question: ex.question,
    answer: ex.answer,
    image: ex.pixels,
    audio: ex.waveform,
    video: ex.frames,
    files: { image: ex.image, audio: ex.audio, video: ex.video },
    pairText: pair !== undefined ? tok.encode(pair, { maxLen: textLen }) : undefined,
    prompt: promptText !== undefined ? tok.encode(promptText, { maxLen: textLen }) : undefined,
    target: targetText !== undefined ? tok.encode(targetText, { maxLen: targetLen }) : undefined,
  };
}
