/** `mixmodal embed`: the shared-space embedding of one text, image, audio clip or video, as JSON. */
import { existsSync, statSync } from 'node:fs';
import { loadAudio, loadImage, loadVideo } from '../../data/media/index.js';
import type { BpeTokenizer } from '../../data/tokenizer/tokenizer.js';
import type { HostTensor } from '../../graph/host-tensor.js';
import type { ModelConfig } from '../../model/config.js';
import type { Modality } from '../../model/modalities.js';
import { loadModelFolder, type ModelFolder } from '../../train/model-folder.js';
import { audioSamples, mediaShape, videoDecodeShape } from '../../model/model-inputs.js';
import { ModelRuntime } from '../../model/model-runtime.js';
import { padTokens } from '../../train/batches.js';
import type { Command } from '../command.js';

type Values = Record<string, string | boolean | undefined>;
export type Media = Exclude<Modality, 'text'>;

/** Loads the model folder of `--model` and a runtime over its weights. */
export async function openModel(values: Values): Promise<{ folder: ModelFolder; runtime: ModelRuntime }> {
  const dir = values.model;
  if (typeof dir !== 'string' || dir === '') throw new Error('missing --model DIR (a model folder: config.json, weights.safetensors, tokenizer.json)');
  const folder = await loadModelFolder(dir);
  return { folder, runtime: new ModelRuntime(folder.cfg, folder.params) };
}

/** The model input of one media file (batch of 1), decoded to the config's shape; errors name the flag and file. */
export async function mediaFeed(cfg: ModelConfig, m: Media, file: string): Promise<HostTensor> {
  if (!existsSync(file)) throw new Error(`--${m} ${file}: no such file`);
  if (!statSync(file).isFile()) throw new Error(`--${m} ${file}: not a file`);
  const data =
    m === 'image'
      ? await loadImage(file, cfg.image.imageSize)
      : m === 'audio'
        ? await loadAudio(file, { sampleRate: cfg.audio.sampleRate, samples: audioSamples(cfg) })
        : await loadVideo(file, videoDecodeShape(cfg));
  return { dtype: 'float32', shape: [1, ...mediaShape(cfg, m)], data };
}

/** `text_ids` / `text_mask` of one text (batch of 1), cut to the text encoder's length. */
export function textFeeds(cfg: ModelConfig, tok: BpeTokenizer, text: string, flag: string): Record<string, HostTensor> {
  const ids = tok.encode(text, { maxLen: cfg.text.maxTextLen });
  if (ids.length === 0) throw new Error(`--${flag} is empty`);
  const { ids: textIds, mask } = padTokens([ids], tok.padId, cfg.text.maxTextLen);
  return { text_ids: textIds, text_mask: mask };
}

const FLAGS = ['text', 'image', 'audio', 'video'] as const;

export const embedCommand: Command = {
  name: 'embed',
  summary: 'print the shared-space embedding of a text, image, audio clip or video as JSON',
  help: `Usage: mixmodal embed --model DIR (--text TEXT | --image FILE | --audio FILE | --video FILE)

Runs the modality's encoder and projection head (no fusion) and prints
  {"model": NAME, "modality": M, "dim": E, "embedding": [ … E numbers, unit length … ]}
Exactly one input flag. Embeddings of different modalities live in one space:
their dot product is the retrieval similarity.

Options:
  --model DIR    model folder (config.json, weights.safetensors, tokenizer.json)
  --text TEXT    a text
  --image FILE   an image (PNG, JPEG, WebP, …)
  --audio FILE   an audio clip (WAV; other formats need ffmpeg)
  --video FILE   a video (Y4M; other formats need ffmpeg)
  -h, --help     show this help

Example:
  mixmodal embed --model runs/mm-small/model --image data/synth/img/s000001.png`,
  options: {
    model: { type: 'string' },
    text: { type: 'string' },
    image: { type: 'string' },
    audio: { type: 'string' },
    video: { type: 'string' },
  },
  async run({ values, positionals }) {
    if (positionals.length > 0) throw new Error(`unexpected argument '${positionals[0]}'`);
    const given = FLAGS.filter((f) => values[f] !== undefined);
    if (given.length !== 1) {
      throw new Error(
        given.length === 0
          ? 'give one input: --text, --image, --audio or --video'
          : `give exactly one input, got ${given.map((f) => `--${f}`).join(' and ')} (embeddings are per modality)`,
      );
    }
    const m = given[0]!;
    const { folder, runtime } = await openModel(values);
    try {
      const feeds = m === 'text' ? textFeeds(folder.cfg, folder.tokenizer, values.text as string, 'text') : { [m]: await mediaFeed(folder.cfg, m, values[m] as string) };
      const out = await runtime.embed([m], feeds);
      const emb = out[`embedding.${m}`]!;
      const embedding = Array.from(emb.data as Float32Array);
      console.log(JSON.stringify({ model: folder.cfg.core.name, modality: m, dim: embedding.length, embedding }));
      return 0;
    } finally {
      await runtime.release();
    }
  },
};
