/**
 * A scripted Engine for the WorkerPool's tests (runs inside a worker):
 * answers after `delayMs`, names its worker in every result, and misbehaves
 * on request: text id 999 kills the worker thread, 998 is a full queue, 997
 * waits until the request is aborted.
 */
import { QueueFullError, UnavailableError, type Engine, type EngineStats, type GenerateResult, type RouteResult } from '../engine-api.js';
import type { WorkerEngineHooks } from './worker-protocol.js';

export interface FakeEngineOptions {
  delayMs: number;
  /** Throw while building the engine. */
  failInit?: string;
}

export const CRASH_ID = 999;
export const QUEUE_FULL_ID = 998;
export const WAIT_FOR_ABORT_ID = 997;

export async function createFakeEngine(o: FakeEngineOptions, hooks: WorkerEngineHooks): Promise<Engine> {
  if (o.failInit) throw new Error(o.failInit);
  let running = 0;
  let draining = false;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const guard = async <T>(ids: number[] | undefined, signal: AbortSignal | undefined, fn: () => Promise<T>): Promise<T> => {
    if (draining) throw new UnavailableError('draining');
    const first = ids?.[0];
    if (first === CRASH_ID) process.exit(7);
    if (first === QUEUE_FULL_ID) throw new QueueFullError(3);
    running++;
    try {
      if (first === WAIT_FOR_ABORT_ID) {
        await new Promise<void>((_, reject) => signal?.addEventListener('abort', () => reject(new Error('request cancelled by the client')), { once: true }));
      }
      await sleep(o.delayMs);
      hooks.observer.onBatch({ kind: 'embed', size: 1, queueSeconds: [0], runSeconds: o.delayMs / 1000 });
      return await fn();
    } finally {
      running--;
    }
  };
  return {
    embed: (input, meta) => guard(input.textIds, meta?.signal, async () => ({ embedding: Float32Array.of(hooks.worker, ...(input.textIds ?? [])), modality: input.signature[0]! })),
    generate: (input, params, meta, onToken) =>
      guard(input.textIds, meta?.signal, async (): Promise<GenerateResult> => {
        const pieces = Array.from({ length: params.maxTokens }, (_, i) => `w${hooks.worker}t${i} `);
        for (const p of pieces) {
          onToken?.(p);
          await sleep(1);
        }
        return { text: pieces.join(''), tokens: pieces.map((_, i) => i), finishReason: 'length', promptTokens: input.textIds?.length ?? 0 };
      }),
    route: (input, meta) =>
      guard(input.textIds, meta?.signal, async (): Promise<RouteResult> => ({
        gateWeights: { text: 1, image: 0, audio: 0, video: 0 },
        layers: [{ layer: hooks.worker, tokensPerModalityExpert: { text: [1], image: [0], audio: [0], video: [0] }, dropped: 0 }],
      })),
    stats: (): EngineStats => ({ queued: 0, running, capacity: 100 }),
    ready: () => !draining,
    drain: async () => {
      draining = true;
      while (running > 0) await sleep(5);
    },
    close: async () => {
      draining = true;
    },
  };
}
