/**
 * `mixmodal serve --workers N`: the plug-in of engine-api.ts's
 * WorkerEngineFactory — N model worker threads, each loading the model
 * folder into its own LocalBackend + LocalEngine, behind a WorkerPool.
 */
import { availableParallelism } from 'node:os';
import type { ServeConfig } from '../config.js';
import type { WorkerEngineFactory } from '../engine-api.js';
import type { LocalWorkerEngineOptions } from './local-engine-factory.js';
import { WorkerPool } from './worker-pool.js';

export { WorkerPool, type WorkerPoolOptions } from './worker-pool.js';
export { createLocalWorkerEngine, type LocalWorkerEngineOptions } from './local-engine-factory.js';

export const createWorkerEngine: WorkerEngineFactory = async ({ modelDir, workers, config, observer }) => {
  const cfg = config as ServeConfig;
  // `threads` is the model's total: each worker's ONNX Runtime gets its share (at least 1).
  const threads = Math.max(1, Math.floor((cfg.threads ?? availableParallelism()) / workers));
  const engineOptions: LocalWorkerEngineOptions = { modelDir, batching: cfg.batching, threads };
  return WorkerPool.start({
    workers,
    engineModule: new URL('./local-engine-factory.ts', import.meta.url),
    engineExport: 'createLocalWorkerEngine',
    engineOptions,
    observer,
  });
};
