/**
 * The inference graphs of a model and their export. For each modality
 * signature an `encode` graph maps the inputs to the per-modality embeddings,
 * the modality gate weights, the fused tokens (the decoder's memory) and the
 * routing statistics; the decoder runs from its own memory and step graphs
 * (see generation.ts). Every file carries its weights, so any ONNX Runtime
 * can run it.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Graph } from '../graph/graph.js';
import type { HostTensor } from '../graph/host-tensor.js';
import { writeFileAtomic } from '../runtime/atomic-write.js';
import type { RemoteExperts } from '../moe/moe-layer.js';
import { exportOnnxBytes, paramsFor, type ExportOptions } from '../runtime/export-onnx.js';
import { initParams } from '../runtime/init-params.js';
import type { ModelConfig } from './config.js';
import { buildDecoderGraphs } from './generation.js';
import { MODALITIES, type Modality } from './modalities.js';
import { declareModelInputs } from './model-inputs.js';
import type { ModalityGateStrategy } from './modality-router.js';
import { MultimodalModel } from './multimodal-model.js';

export interface EncodeGraphOptions {
  /** Modality gate strategy baked into the graph (default 'learned'). */
  gateStrategy?: ModalityGateStrategy;
  /** MoE routing overrides at inference (A/B tests of routing strategies): experts per token, evaluation capacity factor. */
  moe?: { topK?: number; capacityFactorEval?: number };
  /**
   * Split mode for expert parallelism: each MoE layer i outputs its dispatch
   * buffer as `experts_in.<i>` [E, C, D] and reads its experts' outputs from
   * the input `experts_out.<i>` [E, C, D] (see splitExpertsHook and
   * graph/partition.ts). Dropless layers keep the padded buffer here (C = the
   * busiest expert's load); without split mode each expert computes exactly
   * its own tokens (moe/dropless.ts). Default false.
   */
  splitExperts?: boolean;
  /** A custom hook for the experts (overrides splitExperts). */
  remoteExperts?: RemoteExperts;
}

/** Names of the cut of MoE layer i in a split-mode encode graph. */
export const expertsCut = (i: number) => ({ output: `experts_in.${i}`, placeholder: `experts_out.${i}` });

/**
 * The split-mode hook: the i-th MoE layer it sees (depth order) outputs its
 * buffer as `experts_in.<i>` and reads `experts_out.<i>`; `layers` lists the
 * layers' parameter paths in that order.
 */
export function splitExpertsHook(): { hook: RemoteExperts; layers: string[] } {
  const layers: string[] = [];
  const hook: RemoteExperts = (layerPath, buffer) => {
    const g = buffer.graph;
    const cut = expertsCut(layers.length);
    layers.push(layerPath);
    g.output(cut.output, buffer); // [E, C, D]
    return g.input(cut.placeholder, buffer.dtype, buffer.shape); // [E, C, D]
  };
  return { hook, layers };
}

/** The config with the inference-time MoE overrides applied. */
export function withMoeOverrides(cfg: ModelConfig, moe: EncodeGraphOptions['moe']): ModelConfig {
  if (!moe || (moe.topK === undefined && moe.capacityFactorEval === undefined)) return cfg;
  const merged = { ...cfg.fusion.moe, ...Object.fromEntries(Object.entries(moe).filter(([, v]) => v !== undefined)) };
  if (merged.topK < 1 || merged.topK > merged.numExperts) throw new Error(`topK ${merged.topK} must be between 1 and numExperts ${merged.numExperts}`);
  return { ...cfg, fusion: { ...cfg.fusion, moe: merged } };
}

/**
 * Outputs: `embedding.<m>` [B, E] for each present m; `gate_weights` [B, 4];
 * `fused` [B, T, D]; `fused_mask` bool [B, T]; per MoE layer i
 * `moe.<i>.tokens_per_expert` [E], `moe.<i>.dropped` [], `moe.<i>.tokens_per_modality_expert` [4, E].
 */
export function buildEncodeGraph(cfg: ModelConfig, signature: readonly Modality[], o: EncodeGraphOptions = {}): Graph {
  const g = new Graph(`encode.${signature.join('+')}`);
  const model = new MultimodalModel(g, withMoeOverrides(cfg, o.moe), signature);
  const remoteExperts = o.remoteExperts ?? (o.splitExperts ? splitExpertsHook().hook : undefined);
  const out = model.forward(declareModelInputs(g, cfg, signature), { training: false, gateStrategy: o.gateStrategy, remoteExperts });
  for (const m of out.signature) g.output(`embedding.${m}`, out.embeddings[m]!);
  g.output('gate_weights', out.gateWeights!);
  g.output('fused', out.fused!.tokens);
  g.output('fused_mask', out.fused!.mask);
  out.moe.forEach((m, i) => {
    g.output(`moe.${i}.tokens_per_expert`, m.stats.tokensPerExpert);
    g.output(`moe.${i}.dropped`, m.stats.droppedTokens);
    if (m.stats.tokensPerModalityExpert) g.output(`moe.${i}.tokens_per_modality_expert`, m.stats.tokensPerModalityExpert);
  });
  return g;
}

/**
 * The cheap embedding path: encoders and projection heads only (no modality
 * router, fusion stack or MoE), outputs `embedding.<m>` [B, E] for each m of
 * `signature`; the same values as the encode graph's embeddings. With 'cls'
 * pooling each encoder's last block runs for the cls row only (MultimodalModel.embed).
 */
export function buildEmbedGraph(cfg: ModelConfig, signature: readonly Modality[]): Graph {
  const g = new Graph(`embed.${signature.join('+')}`);
  const model = new MultimodalModel(g, cfg, signature);
  const out = model.embed(declareModelInputs(g, cfg, signature));
  for (const m of out.signature) g.output(`embedding.${m}`, out.embeddings[m]!); // [B, E]
  return g;
}

/** The decoder settings of a model config (the decoder reads the fused tokens of width dim). */
export function decoderConfigOf(cfg: ModelConfig) {
  return {
    vocabSize: cfg.core.vocabSize,
    dim: cfg.core.dim,
    heads: cfg.core.heads,
    mlpRatio: cfg.core.mlpRatio,
    layers: cfg.decoder.layers,
    maxLen: cfg.decoder.maxLen,
  };
}

/** The graphs that hold every inference parameter of `cfg`: the all-modality encode graph and the decoder step. */
export function parameterGraphs(cfg: ModelConfig): Graph[] {
  return [buildEncodeGraph(cfg, MODALITIES), buildDecoderGraphs(decoderConfigOf(cfg)).step];
}

/** Random weights for every module of `cfg` (all encoders, heads, router, fusion with its experts, decoder), from `seed`. */
export function randomModelParams(cfg: ModelConfig, seed: number): Map<string, HostTensor> {
  const params = new Map<string, HostTensor>();
  for (const g of parameterGraphs(cfg)) for (const [k, v] of initParams(g, seed)) params.set(k, v);
  return params;
}

/**
 * Writes `encode.<signature>.onnx` for each signature, `decoder-memory.onnx`
 * and `decoder-step.onnx` into `dir`; returns the file names. With
 * `externalData` the weights stay in that file (next to the graphs).
 */
export async function exportInferenceModel(
  dir: string,
  cfg: ModelConfig,
  params: ReadonlyMap<string, HostTensor>,
  signatures: readonly (readonly Modality[])[],
  o: EncodeGraphOptions = {},
  externalData?: ExportOptions['externalData'],
): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  const write = async (name: string, g: Graph) => {
    await writeFileAtomic(join(dir, name), exportOnnxBytes(g, paramsFor(g, params), { docString: JSON.stringify({ model: cfg.core.name, graph: g.name }), externalData }));
    files.push(name);
  };
  for (const sig of signatures) await write(`encode.${sig.join('+')}.onnx`, buildEncodeGraph(cfg, sig, o));
  const { memory, step } = buildDecoderGraphs(decoderConfigOf(cfg));
  await write('decoder-memory.onnx', memory);
  await write('decoder-step.onnx', step);
  return files;
}
