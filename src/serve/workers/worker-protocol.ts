/**
 * Messages between the WorkerPool (main thread) and a model worker thread
 * (engine-worker-entry.ts), and how errors cross the boundary with their
 * class (429, 503 and 504 depend on it). Each postMessage carries an array
 * of them, in order (outbox.ts batches a turn's messages).
 */
import type { BatchEvent, EngineStats, GenerateParams, ModelInput, RequestMeta } from '../engine-api.js';
import { QueueFullError, RequestTimeoutError, UnavailableError } from '../engine-api.js';

/** RequestMeta without the AbortSignal (aborts travel as messages). */
export type WireMeta = Omit<RequestMeta, 'signal'>;

export type WorkerCall =
  | { method: 'embed'; input: ModelInput; meta: WireMeta }
  | { method: 'generate'; input: ModelInput; params: GenerateParams; meta: WireMeta; stream: boolean }
  | { method: 'route'; input: ModelInput; meta: WireMeta };

export type ToWorker = ({ type: 'call'; id: number } & WorkerCall) | { type: 'abort'; id: number } | { type: 'drain' } | { type: 'close' };

export interface WireError {
  name: string;
  message: string;
  retryAfterSeconds?: number;
}

export type FromWorker =
  | { type: 'ready'; stats: EngineStats; ready: boolean }
  | { type: 'init-error'; error: WireError }
  | { type: 'token'; id: number; text: string }
  | { type: 'result'; id: number; result: unknown; stats: EngineStats; ready: boolean }
  | { type: 'error'; id: number; error: WireError; stats: EngineStats; ready: boolean }
  | { type: 'batch'; event: BatchEvent }
  | { type: 'drained' };

/** What an engine module running in a worker receives besides its options. */
export interface WorkerEngineHooks {
  /** Relays the worker engine's batch events to the pool's observer. */
  observer: { onBatch(e: BatchEvent): void };
  /** Index of this worker in the pool. */
  worker: number;
}

export function toWire(e: unknown): WireError {
  const err = e instanceof Error ? e : new Error(String(e));
  const name = err instanceof QueueFullError ? 'QueueFullError' : err instanceof UnavailableError ? 'UnavailableError' : err instanceof RequestTimeoutError ? 'RequestTimeoutError' : err.name;
  return { name, message: err.message, retryAfterSeconds: err instanceof QueueFullError ? err.retryAfterSeconds : undefined };
}

export function fromWire(w: WireError): Error {
  switch (w.name) {
    case 'QueueFullError':
      return new QueueFullError(w.retryAfterSeconds ?? 1);
    case 'UnavailableError':
      return new UnavailableError(w.message);
    case 'RequestTimeoutError':
      return new RequestTimeoutError(w.message);
    default: {
      const e = new Error(w.message);
      if (w.name && w.name !== 'Error') e.name = w.name;
      return e;
    }
  }
}
