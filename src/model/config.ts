/**
 * The architecture config of a multimodal MoE model: one typed, validated
 * object, stored as JSON under configs/models/. Every section is checked
 * with its own schema; unknown keys and wrong types are errors naming the
 * key path (e.g. `mm-tiny: fusion.moe.topK`).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { validateMoeConfig, type MoeSettings } from '../moe/config.js';
import { validateConfig, type ConfigOf, type ConfigSchema } from '../nn/config.js';
import {
  validateAudioEncoderConfig,
  validateImageEncoderConfig,
  validateTextEncoderConfig,
  validateVideoEncoderConfig,
  type AudioEncoderOptions,
  type ImageEncoderOptions,
  type TextEncoderOptions,
  type VideoEncoderOptions,
} from './encoders/config.js';

/** Top-level fields shared by every part of the model. */
export interface ModelCoreConfig {
  /** Name of the architecture, e.g. 'mm-small'. */
  name: string;
  /** Token width D of every encoder, the fusion stack and the decoder. */
  dim: number;
  /** Attention heads everywhere; must divide dim. */
  heads: number;
  /** MLP width as a multiple of dim (default 4). */
  mlpRatio?: number;
  /** Width of the shared, L2-normalised embedding space of the projection heads. */
  embedDim: number;
  /** Tokenizer vocabulary size (text encoder input and decoder output). */
  vocabSize: number;
  /** How every encoder pools its tokens into the embedding: 'mean' (default) or a learned 'cls' token. */
  pooling?: 'mean' | 'cls';
}

const CORE_SCHEMA = {
  name: { type: 'string' },
  dim: { type: 'integer', min: 1 },
  heads: { type: 'integer', min: 1 },
  mlpRatio: { type: 'number', min: 0, default: 4 },
  embedDim: { type: 'integer', min: 1 },
  vocabSize: { type: 'integer', min: 2 },
  pooling: { type: 'enum', values: ['mean', 'cls'], default: 'mean' },
} as const satisfies ConfigSchema<ModelCoreConfig>;

/** The fusion stack over the weighted, concatenated modality tokens. */
export interface FusionConfig {
  /** Transformer blocks. */
  layers: number;
  /** Every moeEvery-th block (1-based: blocks moeEvery−1, 2·moeEvery−1, …) has a MoE feed-forward; 0 = none. */
  moeEvery: number;
  /** Image tokens enter the fusion merged k×k (nn/patch-merge.ts): k² times fewer; default 1 (as they are). */
  imageMerge?: number;
  /** Video tokens enter the fusion merged k×k within each time step; default 1. */
  videoMerge?: number;
  /**
   * Positions inside the fusion: 'none' (default) leaves each token with only
   * what its encoder put in it; 'learned' adds a learned embedding of the
   * token's index within its stream (`fusion.positions`, one table shared by
   * the streams, which the modality-type embedding tells apart), so word order
   * and grid places stay explicit for comparisons such as "left of" or where
   * an object is in the first and the last keyframe.
   */
  positions?: FusionPositions;
}

export type FusionPositions = 'none' | 'learned';

const FUSION_SCHEMA = {
  layers: { type: 'integer', min: 1 },
  moeEvery: { type: 'integer', min: 0 },
  imageMerge: { type: 'integer', min: 1, default: 1 },
  videoMerge: { type: 'integer', min: 1, default: 1 },
  positions: { type: 'enum', values: ['none', 'learned'], default: 'none' },
} as const satisfies ConfigSchema<FusionConfig>;

/** The causal text decoder. */
export interface DecoderSectionConfig {
  /** Decoder blocks. */
  layers: number;
  /** Longest prompt + answer in tokens. */
  maxLen: number;
}

const DECODER_SCHEMA = {
  layers: { type: 'integer', min: 1 },
  maxLen: { type: 'integer', min: 2 },
} as const satisfies ConfigSchema<DecoderSectionConfig>;

/** A validated model config: every section complete, defaults filled in. */
export interface ModelConfig {
  core: ConfigOf<typeof CORE_SCHEMA>;
  text: TextEncoderOptions;
  image: ImageEncoderOptions;
  audio: AudioEncoderOptions;
  video: VideoEncoderOptions;
  fusion: ConfigOf<typeof FUSION_SCHEMA> & { moe: MoeSettings };
  decoder: ConfigOf<typeof DECODER_SCHEMA>;
}

const SECTIONS = ['text', 'image', 'audio', 'video', 'fusion', 'decoder'] as const;

/**
 * Validates a raw config (parsed JSON). Encoder sections hold only their
 * modality's fields plus `layers`; dim, heads, mlpRatio and vocabSize come
 * from the top level. `fusion.moe` holds the MoE fields except dim.
 */
export function validateModelConfig(raw: unknown): ModelConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error('model config must be a JSON object');
  const r = raw as Record<string, unknown>;
  const name = typeof r.name === 'string' ? r.name : 'model config';
  const coreRaw = Object.fromEntries(Object.entries(r).filter(([k]) => !(SECTIONS as readonly string[]).includes(k)));
  const core = validateConfig(coreRaw, CORE_SCHEMA, name);
  if (core.dim % core.heads !== 0) throw new Error(`${name}: 'heads' (${core.heads}) must divide 'dim' (${core.dim})`);
  const section = (key: (typeof SECTIONS)[number]): Record<string, unknown> => {
    const s = r[key];
    if (typeof s !== 'object' || s === null || Array.isArray(s)) throw new Error(`${name}: '${key}' must be an object`);
    return s as Record<string, unknown>;
  };
  const shared = { dim: core.dim, heads: core.heads, mlpRatio: core.mlpRatio, pooling: core.pooling };
  const { moe: moeRaw, ...fusionRaw } = section('fusion');
  if (typeof moeRaw !== 'object' || moeRaw === null) throw new Error(`${name}: 'fusion.moe' must be an object`);
  const cfg: ModelConfig = {
    core,
    text: validateTextEncoderConfig({ ...shared, vocabSize: core.vocabSize, ...section('text') }, `${name}: text`),
    image: validateImageEncoderConfig({ ...shared, ...section('image') }, `${name}: image`),
    audio: validateAudioEncoderConfig({ ...shared, ...section('audio') }, `${name}: audio`),
    video: validateVideoEncoderConfig({ ...shared, ...section('video') }, `${name}: video`),
    fusion: { ...validateConfig(fusionRaw, FUSION_SCHEMA, `${name}: fusion`), moe: validateMoeConfig({ dim: core.dim, ...moeRaw }, `${name}: fusion.moe`) },
    decoder: validateConfig(section('decoder'), DECODER_SCHEMA, `${name}: decoder`),
  };
  const grids = { image: cfg.image.imageSize / cfg.image.patchSize, video: cfg.video.videoSize / cfg.video.videoPatch };
  for (const m of ['image', 'video'] as const) {
    const k = cfg.fusion[`${m}Merge`];
    if (grids[m] % k !== 0) throw new Error(`${name}: 'fusion.${m}Merge' (${k}) must divide the ${m} token grid side (${grids[m]})`);
  }
  if (cfg.video.keyframe === 'image' && cfg.image.imageSize % cfg.video.videoSize !== 0) {
    throw new Error(`${name}: 'video.keyframe' 'image' needs video.videoSize (${cfg.video.videoSize}) to divide image.imageSize (${cfg.image.imageSize}): clips come in at imageSize and are averaged down to videoSize`);
  }
  const { keyframe, keyframes, videoFrames } = cfg.video;
  if (keyframes > 1 && keyframe !== 'image') throw new Error(`${name}: 'video.keyframes' (${keyframes}) needs video.keyframe 'image'`);
  if (keyframes > videoFrames) throw new Error(`${name}: 'video.keyframes' (${keyframes}) must be at most video.videoFrames (${videoFrames})`);
  if (cfg.video.keyframeMotion !== 'none' && keyframes < 2) {
    throw new Error(`${name}: 'video.keyframeMotion' '${cfg.video.keyframeMotion}' needs video.keyframes ≥ 2 (got ${keyframes}): motion is the change between two keyframes`);
  }
  if (cfg.video.motionContext && cfg.video.keyframeMotion !== 'difference-windows') {
    throw new Error(`${name}: 'video.motionContext' needs video.keyframeMotion 'difference-windows' (got '${cfg.video.keyframeMotion}')`);
  }
  return cfg;
}

/** Folder of the named architectures shipped with mixmodal. */
export const MODEL_CONFIG_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../configs/models');

/** The raw JSON of `configs/models/<name>.json`, or of a path to a JSON file (not yet validated). */
export function readModelConfigJson(nameOrPath: string): unknown {
  const path = nameOrPath.endsWith('.json') ? nameOrPath : join(MODEL_CONFIG_DIR, `${nameOrPath}.json`);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new Error(`no model config '${nameOrPath}' (looked for ${path})`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${path}: invalid JSON: ${(e as Error).message}`);
  }
}

/** Loads and validates `configs/models/<name>.json`, or a path to a JSON file. */
export function loadModelConfig(nameOrPath: string): ModelConfig {
  return validateModelConfig(readModelConfigJson(nameOrPath));
}
