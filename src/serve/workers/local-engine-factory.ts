/**
 * The default engine of a model worker: the model folder loaded in the
 * worker thread, a LocalBackend on it and the in-process LocalEngine
 * (batching, scheduling, decoding) in front. Closing the engine releases the
 * sessions.
 */
import { loadModelFolder } from '../../train/model-folder.js';
import { LocalBackend } from '../backend/local-backend.js';
import type { BatchingConfig } from '../config.js';
import { LocalEngine } from '../engine/engine.js';
import type { Engine } from '../engine-api.js';
import type { WorkerEngineHooks } from './worker-protocol.js';

export interface LocalWorkerEngineOptions {
  /** The model folder. */
  modelDir: string;
  batching: BatchingConfig;
  /** ONNX Runtime intra-op threads of this worker (default 1). */
  threads?: number;
}

export async function createLocalWorkerEngine(o: LocalWorkerEngineOptions, hooks: WorkerEngineHooks): Promise<Engine> {
  const folder = await loadModelFolder(o.modelDir);
  const backend = new LocalBackend(folder.cfg, folder.params, { threads: o.threads ?? 1, spinning: false }); // workers share the cores: no spin-waiting
  const engine = new LocalEngine({ backend, tokenizer: folder.tokenizer, batching: o.batching, observer: hooks.observer });
  const closeEngine = engine.close.bind(engine);
  engine.close = async () => {
    await closeEngine();
    await backend.close();
  };
  return engine;
}
