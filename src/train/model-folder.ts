/**
 * The model folder: what the server, the apps and the CLI load.
 *
 *   DIR/config.json          the raw model config (configs/models/*.json format)
 *   DIR/weights.safetensors  parameters only, float32, by path; metadata {format: 'mixmodal-weights', model}
 *   DIR/tokenizer.json       the byte-level BPE (data/tokenizer/tokenizer-file.ts)
 *   DIR/*.onnx               optional: exportInferenceModel's encode and decoder graphs, reading
 *                            their weights from weights.safetensors (ONNX external data)
 *   DIR/model-card.md        free text
 *
 * Every file is written atomically, config.json last. A training run folder
 * (config.json + tokenizer.json + checkpoint.safetensors) loads too: its
 * non-optimizer tensors are the weights.
 *
 * It lives in train/ (what training produces; serve, apps and the CLI load
 * it) because it bundles the tokenizer of data/ with the model's weights and
 * graphs, and layers import one way (model → data → train).
 */
import { existsSync, statSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BpeTokenizer } from '../data/tokenizer/tokenizer.js';
import { loadTokenizer, saveTokenizer } from '../data/tokenizer/tokenizer-file.js';
import { numel, type HostTensor } from '../graph/host-tensor.js';
import { writeFileAtomic } from '../runtime/atomic-write.js';
import { loadCheckpoint } from '../runtime/checkpoint.js';
import { loadSafetensors, saveSafetensors } from '../runtime/safetensors.js';
import { validateModelConfig, type ModelConfig } from '../model/config.js';
import { exportInferenceModel, parameterGraphs } from '../model/inference-graphs.js';
import type { Modality } from '../model/modalities.js';

/** File names inside a model folder. */
export const MODEL_FILES = {
  config: 'config.json',
  weights: 'weights.safetensors',
  tokenizer: 'tokenizer.json',
  card: 'model-card.md',
  /** A training run's checkpoint, accepted in place of weights.safetensors. */
  checkpoint: 'checkpoint.safetensors',
} as const;

/** `format` metadata of weights.safetensors. */
export const WEIGHTS_FORMAT = 'mixmodal-weights';

export interface SaveModelFolderOptions {
  /** The raw model config JSON object (validated before anything is written). */
  cfg: unknown;
  /** Every parameter of the model by path, float32 (extra ones, e.g. training heads, are kept). */
  params: ReadonlyMap<string, HostTensor>;
  tokenizer: BpeTokenizer;
  /** Signatures to export as ONNX under DIR/onnx (default none). */
  exportSignatures?: Modality[][];
  /** Text of model-card.md (default: a generated summary). */
  card?: string;
}

export interface ModelFolder {
  cfg: ModelConfig;
  rawConfig: unknown;
  params: Map<string, HostTensor>;
  tokenizer: BpeTokenizer;
  dir: string;
  /** Which file the weights came from. */
  weightsFile: string;
}

/** Path → shape of every parameter an inference model of `cfg` needs (all encoders, heads, router, fusion, decoder). */
export function expectedParams(cfg: ModelConfig): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const g of parameterGraphs(cfg)) for (const [path, { value }] of g.params) out.set(path, value.shape as number[]);
  return out;
}

/** Checks that `params` hold every expected parameter as float32 of the right shape; errors name `source` and the tensor. */
export function checkModelParams(cfg: ModelConfig, params: ReadonlyMap<string, HostTensor>, source: string): void {
  const missing: string[] = [];
  for (const [path, shape] of expectedParams(cfg)) {
    const t = params.get(path);
    if (!t) {
      missing.push(path);
      continue;
    }
    if (t.dtype !== 'float32') throw new Error(`${source}: parameter ${path} is ${t.dtype}, expected float32`);
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new Error(`${source}: parameter ${path} has shape [${t.shape.join(', ')}], but ${cfg.core.name} needs [${shape.join(', ')}]`);
    }
  }
  if (missing.length > 0) {
    throw new Error(`${source}: missing ${missing.length} parameter(s) of ${cfg.core.name}: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''}`);
  }
}

/** Writes a model folder (created if missing); returns the files written, relative to `dir`. */
export async function saveModelFolder(dir: string, o: SaveModelFolderOptions): Promise<string[]> {
  const cfg = validateModelConfig(o.cfg);
  if (o.tokenizer.vocabSize > cfg.core.vocabSize) {
    throw new Error(`tokenizer has ${o.tokenizer.vocabSize} ids but ${cfg.core.name} has vocabSize ${cfg.core.vocabSize}`);
  }
  checkModelParams(cfg, o.params, `saveModelFolder(${dir})`);
  await mkdir(dir, { recursive: true });
  const files: string[] = [];
  const tensors: Record<string, HostTensor> = {};
  for (const [k, v] of o.params) {
    if (v.dtype !== 'float32') throw new Error(`saveModelFolder(${dir}): parameter ${k} is ${v.dtype}; weights are float32`);
    tensors[k] = v;
  }
  await saveSafetensors(join(dir, MODEL_FILES.weights), tensors, { format: WEIGHTS_FORMAT, model: cfg.core.name });
  files.push(MODEL_FILES.weights);
  await saveTokenizer(join(dir, MODEL_FILES.tokenizer), o.tokenizer);
  files.push(MODEL_FILES.tokenizer);
  if (o.exportSignatures && o.exportSignatures.length > 0) {
    // Next to the weights: ONNX Runtime refuses external data outside the model file's folder.
    const { layout } = await loadSafetensors(join(dir, MODEL_FILES.weights));
    const onnx = await exportInferenceModel(dir, cfg, o.params, o.exportSignatures, {}, { location: MODEL_FILES.weights, ranges: layout });
    files.push(...onnx);
  }
  const card = o.card ?? defaultCard(cfg, o.params, o.tokenizer, files);
  await writeFileAtomic(join(dir, MODEL_FILES.card), new TextEncoder().encode(card.endsWith('\n') ? card : `${card}\n`));
  files.push(MODEL_FILES.card);
  await writeFileAtomic(join(dir, MODEL_FILES.config), new TextEncoder().encode(`${JSON.stringify(o.cfg, null, 2)}\n`));
  files.push(MODEL_FILES.config);
  return files;
}

/** Loads a model folder (or a training run folder); every error names the file at fault. */
export async function loadModelFolder(dir: string): Promise<ModelFolder> {
  if (!existsSync(dir)) throw new Error(`model folder ${dir} does not exist`);
  if (!statSync(dir).isDirectory()) throw new Error(`${dir} is not a model folder (not a directory)`);
  const path = (f: string) => join(dir, f);
  const need = (f: string) => {
    if (!existsSync(path(f))) {
      throw new Error(`${dir} is not a complete model folder: missing ${f} (a model folder holds ${MODEL_FILES.config}, ${MODEL_FILES.weights} and ${MODEL_FILES.tokenizer})`);
    }
  };
  need(MODEL_FILES.config);
  let rawConfig: unknown;
  try {
    rawConfig = JSON.parse(await readFile(path(MODEL_FILES.config), 'utf8'));
  } catch (e) {
    throw new Error(`${path(MODEL_FILES.config)}: invalid JSON: ${(e as Error).message}`);
  }
  const cfg = await namingFile(path(MODEL_FILES.config), async () => validateModelConfig(rawConfig));
  need(MODEL_FILES.tokenizer);
  const tokenizer = await loadTokenizer(path(MODEL_FILES.tokenizer));
  if (tokenizer.vocabSize > cfg.core.vocabSize) {
    throw new Error(`${path(MODEL_FILES.tokenizer)}: ${tokenizer.vocabSize} ids exceed the model's vocabSize ${cfg.core.vocabSize} (${path(MODEL_FILES.config)})`);
  }
  const { params, weightsFile } = await loadWeights(dir, cfg);
  checkModelParams(cfg, params, weightsFile);
  return { cfg, rawConfig, params, tokenizer, dir, weightsFile };
}

/**
 * The parameters in a model folder (weights.safetensors) or a training run
 * folder (checkpoint.safetensors, optimizer state left out), not checked for
 * completeness: a checkpoint after stages 1–2 has no fusion or decoder yet.
 */
export async function loadWeights(dir: string, cfg: ModelConfig): Promise<{ params: Map<string, HostTensor>; weightsFile: string }> {
  const weights = join(dir, MODEL_FILES.weights);
  const checkpoint = join(dir, MODEL_FILES.checkpoint);
  if (existsSync(weights)) {
    const { tensors, metadata } = await namingFile(weights, () => loadSafetensors(weights));
    if (metadata.format !== WEIGHTS_FORMAT) {
      throw new Error(`${weights}: not mixmodal weights (metadata format = ${metadata.format ?? 'none'}, expected ${WEIGHTS_FORMAT})`);
    }
    if (metadata.model !== undefined && metadata.model !== cfg.core.name) {
      throw new Error(`${weights}: weights of model '${metadata.model}', but config.json describes '${cfg.core.name}'`);
    }
    return { params: new Map(Object.entries(tensors)), weightsFile: weights };
  }
  if (existsSync(checkpoint)) {
    const ck = await namingFile(checkpoint, () => loadCheckpoint(checkpoint));
    const params = new Map([...ck.params].filter(([k]) => !k.startsWith('optim.')));
    return { params, weightsFile: checkpoint };
  }
  throw new Error(`${dir} is not a complete model folder: missing ${MODEL_FILES.weights} (or a training run's ${MODEL_FILES.checkpoint})`);
}

/** `load()`, its error message starting with `file` unless it names the file already. */
async function namingFile<T>(file: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (e) {
    const msg = (e as Error).message;
    throw new Error(msg.includes(file) ? msg : `${file}: ${msg}`);
  }
}

function defaultCard(cfg: ModelConfig, params: ReadonlyMap<string, HostTensor>, tok: BpeTokenizer, files: string[]): string {
  let count = 0;
  for (const t of params.values()) count += numel(t.shape);
  const moe = cfg.fusion.moe;
  return [
    `# ${cfg.core.name}`,
    '',
    'A mixmodal multimodal Mixture-of-Experts model (text, image, audio, video).',
    '',
    `- parameters: ${count.toLocaleString('en-US')} (float32)`,
    `- width ${cfg.core.dim}, ${cfg.core.heads} heads, embedding dim ${cfg.core.embedDim}`,
    `- fusion: ${cfg.fusion.layers} layers, MoE every ${cfg.fusion.moeEvery} (${moe.numExperts} experts, top-${moe.topK})`,
    `- decoder: ${cfg.decoder.layers} layers, max length ${cfg.decoder.maxLen}`,
    `- tokenizer: byte-level BPE, ${tok.vocabSize} ids (model vocabulary ${cfg.core.vocabSize})`,
    '',
    `Files: ${[...files, MODEL_FILES.card, MODEL_FILES.config].join(', ')}`,
  ].join('\n');
}
