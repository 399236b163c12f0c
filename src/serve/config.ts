/**
 * The server's config: one typed object with a comment per field, embedded
 * defaults (no Redis, no other host), and validation whose errors name the
 * key (`serve config: batching.maxBatch must be ≥ 1, got 0`).
 */
import { validateConfig, type ConfigSchema } from '../nn/config.js';

/** The dynamic batcher. */
export interface BatchingConfig {
  /** Most requests in one encode batch and most rows in one decode step (1 = batching off). */
  maxBatch: number;
  /** Batch sizes run as soon as that many requests of a signature wait (Triton-style); [] = none. */
  preferredBatchSizes: number[];
  /** Longest a request waits for others to share its batch, in microseconds. */
  maxQueueDelayUs: number;
  /**
   * While rows are decoding, a generation encode group smaller than the
   * next decode batch waits at most this many decode steps for more
   * requests (bigger encode batches cost less per row; the decoder keeps
   * the loop busy meanwhile, see engine/encode-hold.ts). 0 = never wait.
   */
  maxHoldSteps: number;
  /** Most requests waiting (not yet running); past it submissions get 429. */
  queueSize: number;
  /** Priority levels 0..levels−1 a request may ask for (higher runs first). */
  priorityLevels: number;
  /** A request not finished after this many milliseconds fails with a timeout. */
  requestTimeoutMs: number;
}

/** The result cache. */
export interface CacheConfig {
  /** Cache results at all. */
  enabled: boolean;
  /** Redis URL (redis://host:port/db); absent = the in-process LRU. */
  redisUrl?: string;
  /** Seconds an entry lives. */
  ttlSeconds: number;
  /** LRU: most entries. */
  maxEntries: number;
  /** LRU: most bytes of values held; Redis: largest value stored. */
  maxBytes: number;
  /** Prefix of every Redis key. */
  keyPrefix: string;
}

/** Per-request limits; exceeding one is a 4xx naming the field. */
export interface LimitsConfig {
  /** Largest request body in bytes (413 past it). */
  bodyBytes: number;
  /** Most pixels (width × height) of an uploaded image. */
  imagePixels: number;
  /** Longest uploaded audio clip in seconds. */
  audioSeconds: number;
  /** Longest uploaded video in seconds. */
  videoSeconds: number;
  /** Most tokens of the input text (longer texts are refused; shorter ones are cut to the model's maxTextLen). */
  inputTokens: number;
  /** Largest max_tokens a request may ask for (the decoder's maxLen − 1 caps it further). */
  maxTokens: number;
  /** Most inputs in one embeddings request. */
  embeddingInputs: number;
}

export interface ServeConfig {
  /** Interface to listen on. */
  host: string;
  /** TCP port (0 = any free port). */
  port: number;
  /** Served model id (default: the model config's name). */
  modelId?: string;
  batching: BatchingConfig;
  cache: CacheConfig;
  limits: LimitsConfig;
  /** Model worker threads (0 = the model runs on the server's own thread). Built in src/serve/workers/. */
  workers: number;
  /** host:port of expert shards on other hosts ([] = all experts local). Built in src/serve/experts/. */
  expertShards: string[];
  /** Experiments file of routing-strategy A/B tests. Built in src/serve/experiments/. */
  experimentsFile?: string;
  /** Longest a SIGTERM drain waits for accepted requests, in milliseconds. */
  drainTimeoutMs: number;
  /**
   * ONNX Runtime intra-op threads of the model (default 2; with `workers`
   * N, each worker gets threads / N, at least 1). Serving sessions
   * do not spin (SessionOptions.spinning = false): idle pool threads block
   * and leave the core to the event loop (HTTP, JSON, media decoding). On
   * this 2-core machine 2 threads served batched requests faster than 1
   * (bench/serve.ts, batching on: text embeddings 2491 vs 2107 req/s, image
   * embeddings 874 vs 701, chats with an image 176 vs 155); a spinning
   * second thread had made serving slower.
   */
  threads: number;
}

const BATCHING_SCHEMA = {
  maxBatch: { type: 'integer', min: 1, max: 1024, default: 32 },
  maxQueueDelayUs: { type: 'integer', min: 0, max: 10_000_000, default: 2000 },
  maxHoldSteps: { type: 'integer', min: 0, max: 1024, default: 4 },
  queueSize: { type: 'integer', min: 1, default: 1024 },
  priorityLevels: { type: 'integer', min: 1, max: 16, default: 3 },
  requestTimeoutMs: { type: 'integer', min: 1, default: 60_000 },
} as const satisfies ConfigSchema<Partial<Omit<BatchingConfig, 'preferredBatchSizes'>>>;

const CACHE_SCHEMA = {
  enabled: { type: 'boolean', default: true },
  redisUrl: { type: 'string', optional: true },
  ttlSeconds: { type: 'integer', min: 1, default: 600 },
  maxEntries: { type: 'integer', min: 1, default: 10_000 },
  maxBytes: { type: 'integer', min: 1, default: 64 * 1024 * 1024 },
  keyPrefix: { type: 'string', default: 'mixmodal:cache:' },
} as const satisfies ConfigSchema<Partial<CacheConfig>>;

const LIMITS_SCHEMA = {
  bodyBytes: { type: 'integer', min: 1024, default: 16 * 1024 * 1024 },
  imagePixels: { type: 'integer', min: 1, default: 4096 * 4096 },
  audioSeconds: { type: 'number', min: 0, default: 60 },
  videoSeconds: { type: 'number', min: 0, default: 60 },
  inputTokens: { type: 'integer', min: 1, default: 4096 },
  maxTokens: { type: 'integer', min: 1, default: 4096 },
  embeddingInputs: { type: 'integer', min: 1, default: 256 },
} as const satisfies ConfigSchema<Partial<LimitsConfig>>;

const TOP_SCHEMA = {
  host: { type: 'string', default: '127.0.0.1' },
  port: { type: 'integer', min: 0, max: 65535, default: 8080 },
  modelId: { type: 'string', optional: true },
  workers: { type: 'integer', min: 0, default: 0 },
  experimentsFile: { type: 'string', optional: true },
  drainTimeoutMs: { type: 'integer', min: 0, default: 30_000 },
  threads: { type: 'integer', min: 1, default: 2 },
} as const satisfies ConfigSchema<Partial<Omit<ServeConfig, 'batching' | 'cache' | 'limits' | 'expertShards'>>>;

/** A deep-partial ServeConfig: what callers (CLI flags, tests) override. */
export type ServeConfigInput = Partial<Omit<ServeConfig, 'batching' | 'cache' | 'limits'>> & {
  batching?: Partial<BatchingConfig>;
  cache?: Partial<CacheConfig>;
  limits?: Partial<LimitsConfig>;
};

const WHAT = 'serve config';

function section(s: unknown, key: string): Record<string, unknown> {
  if (s === undefined) return {};
  if (typeof s !== 'object' || s === null || Array.isArray(s)) throw new Error(`${WHAT}: '${key}' must be an object`);
  return s as Record<string, unknown>;
}

/** Validates `raw` (from code or JSON) and fills in the defaults. Unknown keys and wrong types are errors. */
export function serveConfig(raw: ServeConfigInput | Record<string, unknown> = {}): ServeConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error(`${WHAT} must be an object`);
  const r = raw as Record<string, unknown>;
  const { batching: b0, cache: c0, limits: l0, expertShards: s0, ...top } = r;
  const { preferredBatchSizes: p0, ...batchingRest } = section(b0, 'batching');
  const batching = { ...validateConfig(batchingRest, BATCHING_SCHEMA, `${WHAT}: batching`), preferredBatchSizes: preferredSizes(p0) };
  for (const p of batching.preferredBatchSizes) {
    if (p > batching.maxBatch) throw new Error(`${WHAT}: batching.preferredBatchSizes has ${p}, larger than batching.maxBatch ${batching.maxBatch}`);
  }
  const cache = validateConfig(section(c0, 'cache'), CACHE_SCHEMA, `${WHAT}: cache`);
  if (cache.redisUrl !== undefined && !/^rediss?:\/\//.test(cache.redisUrl)) {
    throw new Error(`${WHAT}: cache.redisUrl must start with redis:// or rediss://, got '${cache.redisUrl}'`);
  }
  const limits = validateConfig(section(l0, 'limits'), LIMITS_SCHEMA, `${WHAT}: limits`);
  const rest = validateConfig(top, TOP_SCHEMA, WHAT);
  return { ...rest, batching, cache, limits, expertShards: expertShards(s0) };
}

function preferredSizes(v: unknown): number[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.some((x) => !Number.isInteger(x) || (x as number) < 1)) {
    throw new Error(`${WHAT}: batching.preferredBatchSizes must be an array of positive integers, got ${JSON.stringify(v)}`);
  }
  return [...new Set(v as number[])].sort((a, b) => a - b);
}

function expertShards(v: unknown): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new Error(`${WHAT}: expertShards must be an array of host:port strings`);
  return v.map((s, i) => {
    if (typeof s !== 'string' || !/^[A-Za-z0-9.\-_[\]:]+:\d{1,5}$/.test(s)) throw new Error(`${WHAT}: expertShards[${i}] must be host:port, got ${JSON.stringify(s)}`);
    return s;
  });
}
