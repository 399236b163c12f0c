/**
 * `mixmodal serve` assembled: a loaded model → backend (local, or experts on
 * shards) → engine (in-process, or worker threads) → cache layer (LRU, or
 * Redis) → HTTP API, with one metrics registry observing all of it. The
 * embedded defaults need no other process or host.
 */
import type { BpeTokenizer } from '../data/tokenizer/tokenizer.js';
import type { HostTensor } from '../graph/host-tensor.js';
import type { ModelConfig } from '../model/config.js';
import type { Modality } from '../model/modalities.js';
import { buildApp, type ApiApp } from './api/app.js';
import type { ServedModel } from './api/request-context.js';
import { LocalBackend } from './backend/local-backend.js';
import { CachedEngine } from './cache/cached-engine.js';
import type { ResultCache } from './cache/cache.js';
import { LruCache } from './cache/lru-cache.js';
import { RedisCache } from './cache/redis-cache.js';
import type { ServeConfig } from './config.js';
import { LocalEngine } from './engine/engine.js';
import type { Engine, ExperimentAssigner, InferenceBackend } from './engine-api.js';
import { engineMetricsObserver } from './metrics/engine-metrics.js';
import { createServeMetrics, type ServeMetrics } from './metrics/registry.js';
import { loadExperimentsPlugin, loadShardedBackendFactory, loadWorkerEngineFactory } from './plugins.js';

export interface LoadedModel {
  cfg: ModelConfig;
  params: ReadonlyMap<string, HostTensor>;
  tokenizer: BpeTokenizer;
  /** The model folder it came from (needed by --workers, which load it in each thread). */
  dir?: string;
}

export interface ServerOptions {
  /** fastify request logging (default off). */
  logger?: boolean;
  /** Signatures compiled before listening (default: text, image, text+image). */
  warmup?: Modality[][];
}

export interface MixmodalServer {
  api: ApiApp;
  engine: Engine;
  model: ServedModel;
  metrics: ServeMetrics;
  config: ServeConfig;
  /** Listens on config.host:config.port; returns the base URL. */
  listen(): Promise<string>;
  /** SIGTERM: 503 to new requests, finish the accepted ones (at most drainTimeoutMs), then close. */
  drainAndClose(): Promise<void>;
  close(): Promise<void>;
}

export async function createServer(loaded: LoadedModel, config: ServeConfig, o: ServerOptions = {}): Promise<MixmodalServer> {
  const metrics = createServeMetrics();
  const observer = engineMetricsObserver(metrics);
  const { cfg, params, tokenizer } = loaded;
  const local = new LocalBackend(cfg, params, { threads: config.threads, spinning: false }); // idle ORT threads block: the event loop keeps its core
  const closers: (() => Promise<void>)[] = [];
  let backend: InferenceBackend = local;
  let engine: Engine;
  let experiments: ExperimentAssigner | undefined;
  try {
    if (config.expertShards.length > 0) {
      backend = await (await loadShardedBackendFactory())({ local, shards: config.expertShards });
      closers.push(() => backend.close());
    }
    closers.push(() => local.close());
    if (config.workers > 0) {
      if (!loaded.dir) throw new Error('--workers needs a model folder (--model DIR): each worker thread loads it');
      engine = await (await loadWorkerEngineFactory())({ modelDir: loaded.dir, workers: config.workers, config, observer });
    } else {
      if (backend === local) await local.warmup(o.warmup ?? [['text'], ['image'], ['text', 'image']]);
      engine = new LocalEngine({ backend, tokenizer, batching: config.batching, observer });
    }
    if (config.cache.enabled) {
      const c = config.cache;
      const opts = { ttlSeconds: c.ttlSeconds, maxEntries: c.maxEntries, maxBytes: c.maxBytes, onError: () => metrics.cacheErrors.inc({ backend: c.redisUrl ? 'redis' : 'lru' }) };
      const cache: ResultCache = c.redisUrl ? await RedisCache.connect({ ...opts, url: c.redisUrl, keyPrefix: c.keyPrefix }) : new LruCache(opts);
      engine = new CachedEngine(engine, cache, {
        modelVersion: backend.modelVersion,
        onLookup: (kind, hit) => (hit ? metrics.cacheHits : metrics.cacheMisses).inc({ kind, backend: cache.kind }),
      });
    }
  } catch (e) {
    for (const c of closers.reverse()) await c().catch(() => undefined);
    throw e;
  }
  const plugins: ((app: import('fastify').FastifyInstance) => Promise<void>)[] = [];
  if (config.experimentsFile) {
    const loadedExp = await loadExperimentsPlugin(config.experimentsFile, cfg);
    experiments = loadedExp.assigner;
    if (loadedExp.routes) plugins.push(loadedExp.routes);
  }
  const model: ServedModel = { id: config.modelId ?? cfg.core.name, cfg, tokenizer, version: backend.modelVersion, created: Math.floor(Date.now() / 1000) };
  metrics.watchEngine(() => engine.stats());
  const api = await buildApp({ engine, model, config, metrics, experiments }, { logger: o.logger, plugins });

  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await api.app.close();
    await engine.close();
    await experiments?.close?.();
    for (const c of closers.reverse()) await c().catch(() => undefined);
  };
  return {
    api,
    engine,
    model,
    metrics,
    config,
    listen: () => api.app.listen({ host: config.host, port: config.port }),
    async drainAndClose() {
      api.startDraining();
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, config.drainTimeoutMs)));
      await Promise.race([engine.drain(), timeout]);
      clearTimeout(timer);
      await close();
    },
    close,
  };
}
