/**
 * The parts a colleague builds behind engine-api.ts's plug-in contracts,
 * loaded only when their flag is used: model worker threads (--workers),
 * expert shards (--expert-shards) and routing experiments (--experiments).
 * A missing module is a clear error naming the flag.
 */
import type { FastifyInstance } from 'fastify';
import type { ModelConfig } from '../model/config.js';
import type { ExperimentAssigner, ExperimentsLoader, ShardedBackendFactory, WorkerEngineFactory } from './engine-api.js';

async function load<T>(flag: string, what: string, importer: () => Promise<Record<string, unknown>>, name: string): Promise<T> {
  let mod: Record<string, unknown>;
  try {
    mod = await importer();
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ERR_MODULE_NOT_FOUND' || /Cannot find module/.test(err.message)) {
      throw new Error(`${flag} needs ${what}, which is not part of this build (src/serve/${what.split(' ')[0]}/ is missing)`);
    }
    throw new Error(`${flag}: loading ${what} failed: ${err.message}`);
  }
  const f = mod[name];
  if (typeof f !== 'function') throw new Error(`${flag}: ${what} does not export ${name}`);
  return f as T;
}

export const loadWorkerEngineFactory = () =>
  load<WorkerEngineFactory>('--workers', 'workers (model worker threads)', () => import('./workers/index.js'), 'createWorkerEngine');

export const loadShardedBackendFactory = () =>
  load<ShardedBackendFactory>('--expert-shards', 'experts (expert shards)', () => import('./experts/index.js'), 'createShardedBackend');

export interface LoadedExperiments {
  assigner: ExperimentAssigner;
  /** Extra routes of the experiments (POST /v1/feedback), when it has them. */
  routes?: (app: FastifyInstance) => Promise<void>;
}

export async function loadExperimentsPlugin(file: string, cfg: ModelConfig): Promise<LoadedExperiments> {
  const importer = () => import('./experiments/index.js');
  const loader = await load<ExperimentsLoader & ((file: string, cfg?: ModelConfig) => Promise<ExperimentAssigner>)>('--experiments', 'experiments (routing A/B tests)', importer, 'loadExperiments');
  const assigner = await loader(file, cfg);
  const mod = (await importer()) as Record<string, unknown>;
  const routes = mod.experimentsRoutes as ((app: FastifyInstance, deps: { store: unknown }) => Promise<void>) | undefined;
  const store = (assigner as { store?: unknown }).store;
  return { assigner, routes: routes && store ? (app) => routes(app, { store }) : undefined };
}
