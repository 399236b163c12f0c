/**
 * Worker threads that run TypeScript entry files: the worker registers
 * tsx's ESM loader (module hooks are not inherited by workers), then imports
 * the entry. Used by the expert shards and the model worker pool.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

const require = createRequire(import.meta.url);
// The ESM build of tsx's API (require.resolve finds the CommonJS one, whose register() misbehaves in an eval'd worker).
const TSX_API = pathToFileURL(require.resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;

/** Starts a worker thread running the TypeScript module at `entry`; an import error surfaces as the worker's 'error' event. */
export function spawnTsWorker(entry: URL, o: Omit<WorkerOptions, 'eval'> = {}): Worker {
  const code = [
    `import(${JSON.stringify(TSX_API)})`,
    `  .then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); })`,
    `  .catch((e) => setImmediate(() => { throw e; }));`,
  ].join('\n');
  return new Worker(code, { ...o, eval: true });
}
