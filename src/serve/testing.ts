/**
 * Test fixtures for the serve suite (not part of the API): a tiny model
 * built in process (mm-tiny, dropless MoE so a row's outputs do not depend
 * on its batch), its tokenizer, and media bytes for uploads.
 */
import { createRequire } from 'node:module';
import sharp from 'sharp';
import type WaveFileModule from 'wavefile';
import { trainBpe } from '../data/tokenizer/train-bpe.js';
import type { BpeTokenizer } from '../data/tokenizer/tokenizer.js';
import type { HostTensor } from '../graph/host-tensor.js';
import { loadModelConfig, type ModelConfig } from '../model/config.js';
import { randomModelParams, withMoeOverrides } from '../model/inference-graphs.js';

const { WaveFile } = createRequire(import.meta.url)('wavefile') as typeof WaveFileModule;

export interface TestModel {
  cfg: ModelConfig;
  params: Map<string, HostTensor>;
  tokenizer: BpeTokenizer;
}

export const TEST_SENTENCES = [
  'a red circle above a blue square',
  'the green triangle is left of the yellow star',
  'what colour is the circle? it is red.',
  'a small dog runs on the grass near the river',
  'describe the picture: two shapes on a white background',
];

/** mm-tiny (or `base`) with dropless MoE (capacityFactorEval 0), random weights of `seed`, a 300-id BPE. */
export async function tinyModel(seed = 1, base: ModelConfig = loadModelConfig('mm-tiny')): Promise<TestModel> {
  const cfg = withMoeOverrides(base, { capacityFactorEval: 0 });
  const tokenizer = await trainBpe(TEST_SENTENCES, { vocabSize: cfg.core.vocabSize });
  return { cfg, params: randomModelParams(cfg, seed), tokenizer };
}

/** A PNG of vertical stripes (w × h) as bytes. */
export async function pngBytes(w = 40, h = 30, colours: [number, number, number][] = [[255, 0, 0], [0, 0, 255]]): Promise<Buffer> {
  const rgb = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) rgb.set(colours[Math.floor((x * colours.length) / w)]!, 3 * (y * w + x));
  return sharp(rgb, { raw: { width: w, height: h, channels: 3 } }).png().toBuffer();
}

export async function pngDataUrl(w?: number, h?: number, colours?: [number, number, number][]): Promise<string> {
  return `data:image/png;base64,${(await pngBytes(w, h, colours)).toString('base64')}`;
}

/** A 16-bit mono WAV of a sine at `freq` Hz. */
export function wavBytes(seconds = 0.5, rate = 8000, freq = 440): Buffer {
  const n = Math.round(seconds * rate);
  const samples = Int16Array.from({ length: n }, (_, i) => Math.round(12000 * Math.sin((2 * Math.PI * freq * i) / rate)));
  const wav = new WaveFile();
  wav.fromScratch(1, rate, '16', samples);
  return Buffer.from(wav.toBuffer());
}
