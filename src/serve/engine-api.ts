/**
 * The seam between the HTTP layer and whatever runs the model: route
 * handlers only talk to an `Engine`. The in-process engine (engine/) and the
 * worker-thread pool (workers/) both implement it; the model itself is
 * reached through an `InferenceBackend` — local ONNX Runtime sessions, or
 * dense parts local with experts on shards (experts/).
 */
import type { HostTensor } from '../graph/host-tensor.js';
import type { ModelConfig } from '../model/config.js';
import type { DecoderStepper } from '../model/decoder-batch.js';
import type { EncodeGraphOptions } from '../model/inference-graphs.js';
import type { Modality } from '../model/modalities.js';
import type { SessionOptions } from '../runtime/session.js';

/** A routing strategy variant under test: modality gate, experts per token, capacity factor. */
export interface RoutingVariant {
  /** Name of the variant in the experiments file (for metrics and reports). */
  name: string;
  gateStrategy?: EncodeGraphOptions['gateStrategy'];
  topK?: number;
  capacityFactor?: number;
}

/** What computes: encode graphs per (signature, variant) and the decoder. */
export interface InferenceBackend {
  readonly cfg: ModelConfig;
  /** Changes whenever the weights change; part of every cache key. */
  readonly modelVersion: string;
  /** The ONNX Runtime options its sessions use (threads, spinning), for backends built on top of it. */
  readonly sessionOptions?: SessionOptions;
  encode(signature: Modality[], feeds: Record<string, HostTensor>, variant?: RoutingVariant): Promise<Record<string, HostTensor>>;
  /**
   * Optional cheap path for embeddings: encoders + projection heads only
   * (`embedding.<m>` [B, E]); without it the engine uses `encode`'s embeddings.
   */
  embed?(signature: Modality[], feeds: Record<string, HostTensor>): Promise<Record<string, HostTensor>>;
  decoder(): Promise<DecoderStepper>;
  close(): Promise<void>;
}

/** One request's inputs after decoding (media already at the model's shapes). */
export interface ModelInput {
  signature: Modality[];
  /** Per-example tensors without the batch dim: text ids, image [3,H,W], audio [L], video [F,3,H,W]. */
  textIds?: number[];
  image?: Float32Array;
  audio?: Float32Array;
  video?: Float32Array;
}

export interface GenerateParams {
  maxTokens: number;
  temperature: number;
  topP: number;
  stop: string[];
  seed?: number;
}

export interface RequestMeta {
  /** Higher runs first (default 0). */
  priority?: number;
  /** Absolute deadline (ms since epoch); past it the request fails with a timeout. */
  deadline?: number;
  /** The routing variant assigned by the experiment, if any. */
  variant?: RoutingVariant;
  signal?: AbortSignal;
}

export interface EmbedResult {
  embedding: Float32Array;
  modality: Modality;
}

export interface GenerateResult {
  text: string;
  tokens: number[];
  finishReason: 'stop' | 'length';
  promptTokens: number;
}

export interface RouteResult {
  /** Gate weight per modality (MODALITIES order). */
  gateWeights: Record<Modality, number>;
  /** Per MoE layer: tokens each modality sent to each expert. */
  layers: { layer: number; tokensPerModalityExpert: Record<Modality, number[]>; dropped: number }[];
}

export interface EngineStats {
  queued: number;
  running: number;
  /** Queue bound (requests); past it submissions are refused. */
  capacity: number;
}

export interface Engine {
  embed(input: ModelInput, meta?: RequestMeta): Promise<EmbedResult>;
  /** Calls onToken with each piece of text as it is decoded (streaming). */
  generate(input: ModelInput, params: GenerateParams, meta?: RequestMeta, onToken?: (text: string) => void): Promise<GenerateResult>;
  route(input: ModelInput, meta?: RequestMeta): Promise<RouteResult>;
  stats(): EngineStats;
  /** Model loaded and queue not saturated. */
  ready(): boolean;
  /** Stops accepting work, finishes what was accepted. */
  drain(): Promise<void>;
  close(): Promise<void>;
}

/** One MoE layer's routing statistics of a batch (summed over its rows). */
export interface MoeLayerStats {
  layer: number;
  /** Token→expert assignments kept per expert [E]. */
  tokensPerExpert: number[];
  /** Assignments dropped by capacity. */
  dropped: number;
  /** Per modality (MODALITIES order) the assignments per expert [4][E], when the graph reports them. */
  tokensPerModalityExpert?: number[][];
}

/** What an engine reports after each batch it ran; observers (metrics) read it and never steer. */
export interface BatchEvent {
  /** 'embed' = encoders only; 'encode' = the full encode graph (chat, route); 'decode' = one decoder step. */
  kind: 'embed' | 'encode' | 'decode';
  signature?: Modality[];
  /** Routing variant name, if the batch ran one. */
  variant?: string;
  /** Rows in the batch. */
  size: number;
  /** Seconds each request waited in the queue before this batch (embed/encode). */
  queueSeconds: number[];
  /** Seconds the backend took for the batch. */
  runSeconds: number;
  /** encode: gate weights [size, 4] in MODALITIES order. */
  gateWeights?: Float32Array;
  /** encode: routing statistics per MoE layer. */
  moe?: MoeLayerStats[];
  /** decode: tokens generated by this step. */
  tokens?: number;
}

export interface EngineObserver {
  onBatch(e: BatchEvent): void;
}

/**
 * Plug-in contracts for the colleague-built parts; `mixmodal serve` loads
 * them from these modules when their flags are used:
 * - src/serve/workers/index.ts exports `createWorkerEngine: WorkerEngineFactory` (--workers N)
 * - src/serve/experts/index.ts exports `createShardedBackend: ShardedBackendFactory` (--expert-shards)
 * - src/serve/experiments/index.ts exports `loadExperiments: ExperimentsLoader` (--experiments FILE)
 */
export type WorkerEngineFactory = (o: {
  /** The model folder every worker loads. */
  modelDir: string;
  workers: number;
  /** Batching and limits (a ServeConfig from ../serve/config.ts). */
  config: unknown;
  observer?: EngineObserver;
}) => Promise<Engine>;

export type ShardedBackendFactory = (o: {
  /** The local backend (dense parts and any local experts). */
  local: InferenceBackend;
  /** host:port of each expert shard. */
  shards: string[];
}) => Promise<InferenceBackend>;

/** Assigns a request to a routing variant of a running experiment (undefined = default routing). */
export interface ExperimentAssigner {
  assign(request: { route: string; key: string; signature: Modality[] }): RoutingVariant | undefined;
  /** Logs a completed response served under a variant (its id is what feedback names). */
  recordRequest?(requestId: string, variant: string, latencyMs: number, ok?: boolean): Promise<void>;
  close?(): Promise<void>;
}

export type ExperimentsLoader = (file: string) => Promise<ExperimentAssigner>;

/** Thrown when the queue is full (HTTP 429 with Retry-After). */
export class QueueFullError extends Error {
  constructor(readonly retryAfterSeconds: number) {
    super('the server is at capacity; retry later');
  }
}

/** Thrown for work submitted while draining or after a part died (HTTP 503). */
export class UnavailableError extends Error {}

/** Thrown when a request's deadline passes before it completes (HTTP 504/408). */
export class RequestTimeoutError extends Error {}
