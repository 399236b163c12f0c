/**
 * The request layer's load balancer: N model workers (worker threads), each
 * running its own engine (by default the in-process LocalEngine over a
 * LocalBackend), behind one Engine. Each request goes to the least-loaded
 * live worker that can take its modality signature (fewest requests in
 * flight; ties rotate). Streamed tokens come back by message passing.
 *
 * A worker that dies fails its requests in flight with UnavailableError
 * (HTTP 503) and is replaced (with backoff if replacements keep dying).
 */
import type { Worker } from 'node:worker_threads';
import type { Modality } from '../../model/modalities.js';
import { modalitySignature } from '../../model/modalities.js';
import {
  UnavailableError,
  type EmbedResult,
  type Engine,
  type EngineObserver,
  type EngineStats,
  type GenerateParams,
  type GenerateResult,
  type ModelInput,
  type RequestMeta,
  type RouteResult,
} from '../engine-api.js';
import { Outbox } from './outbox.js';
import { spawnTsWorker } from './ts-worker.js';
import { fromWire, type FromWorker, type ToWorker, type WorkerCall } from './worker-protocol.js';

export interface WorkerPoolOptions {
  /** Number of model workers (≥ 1). */
  workers: number;
  /** The module each worker imports to build its engine (file URL), and the export to call with (options, hooks). */
  engineModule: URL;
  engineExport: string;
  /** Passed to the engine factory in every worker (structured-clonable). */
  engineOptions: unknown;
  /** Which signatures worker i takes (default: every worker takes every signature). */
  accepts?: (worker: number, signature: Modality[]) => boolean;
  /** Hears every batch of every worker. */
  observer?: EngineObserver;
  /** First delay before replacing a worker that died without ever getting ready, ms (doubles each time, up to 30 s; default 500). */
  restartBackoffMs?: number;
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  onToken?: (text: string) => void;
  cleanup: () => void;
}

interface Slot {
  index: number;
  worker?: Worker;
  ready: boolean;
  /** Requests sent and not answered. */
  inflight: number;
  pending: Map<number, Pending>;
  stats: EngineStats;
  engineReady: boolean;
  /** Deaths in a row before reaching ready (for the restart backoff). */
  failures: number;
  /** Set while a close/drain expects it. */
  drained?: () => void;
  exited?: Promise<void>;
  /** Calls to the worker, sent together at the end of each event-loop turn. */
  outbox?: Outbox<ToWorker>;
}

export class WorkerPool implements Engine {
  private readonly slots: Slot[];
  private nextId = 1;
  private rotate = 0;
  private draining = false;
  private closed = false;
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Workers started so far (N + replacements). */
  started = 0;

  private constructor(private readonly o: WorkerPoolOptions) {
    if (!Number.isInteger(o.workers) || o.workers < 1) throw new Error(`a worker pool needs ≥ 1 worker, got ${o.workers}`);
    this.slots = Array.from({ length: o.workers }, (_, index) => ({
      index,
      ready: false,
      inflight: 0,
      pending: new Map(),
      stats: { queued: 0, running: 0, capacity: 0 },
      engineReady: false,
      failures: 0,
    }));
  }

  /** Starts the workers and resolves once every one is ready; rejects (stopping them) if one fails to build its engine. */
  static async start(o: WorkerPoolOptions): Promise<WorkerPool> {
    const pool = new WorkerPool(o);
    try {
      await Promise.all(pool.slots.map((s) => pool.spawn(s)));
    } catch (e) {
      await pool.close();
      throw e;
    }
    return pool;
  }

  embed(input: ModelInput, meta: RequestMeta = {}): Promise<EmbedResult> {
    return this.call({ method: 'embed', input, meta: wireMeta(meta) }, input, meta) as Promise<EmbedResult>;
  }

  generate(input: ModelInput, params: GenerateParams, meta: RequestMeta = {}, onToken?: (text: string) => void): Promise<GenerateResult> {
    return this.call({ method: 'generate', input, params, meta: wireMeta(meta), stream: !!onToken }, input, meta, onToken) as Promise<GenerateResult>;
  }

  route(input: ModelInput, meta: RequestMeta = {}): Promise<RouteResult> {
    return this.call({ method: 'route', input, meta: wireMeta(meta) }, input, meta) as Promise<RouteResult>;
  }

  /** Summed over the live workers, as they last reported. */
  stats(): EngineStats {
    const live = this.slots.filter((s) => s.ready);
    return {
      queued: live.reduce((n, s) => n + s.stats.queued, 0),
      running: live.reduce((n, s) => n + Math.max(s.stats.running, s.inflight - s.stats.queued), 0),
      capacity: live.reduce((n, s) => n + s.stats.capacity, 0),
    };
  }

  /** In flight per worker (for tests and the load balancer's logs). */
  load(): number[] {
    return this.slots.map((s) => s.inflight);
  }

  ready(): boolean {
    return !this.draining && !this.closed && this.slots.some((s) => s.ready && s.engineReady);
  }

  async drain(): Promise<void> {
    this.draining = true;
    await Promise.all(
      this.slots.map(
        (s) =>
          new Promise<void>((resolve) => {
            if (!s.worker || !s.ready) return resolve();
            s.drained = resolve;
            this.post(s, { type: 'drain' });
          }),
      ),
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.draining = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await Promise.all(
      this.slots.map(async (s) => {
        const w = s.worker;
        if (!w) return;
        this.post(s, { type: 'close' });
        const timer = setTimeout(() => void w.terminate(), 5000);
        await s.exited;
        clearTimeout(timer);
      }),
    );
  }

  /** Ends worker i abruptly (tests: a worker crashing). */
  async kill(i: number): Promise<void> {
    const s = this.slots[i]!;
    await s.worker?.terminate();
    await s.exited;
  }

  /** Resolves once worker i is ready (after a restart). */
  async whenReady(i: number, timeoutMs = 30_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (!this.slots[i]!.ready) {
      if (Date.now() > until) throw new Error(`worker ${i} not ready after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  private call(call: WorkerCall, input: ModelInput, meta: RequestMeta, onToken?: (text: string) => void): Promise<unknown> {
    if (this.draining) return Promise.reject(new UnavailableError('the server is shutting down and accepts no new requests'));
    let sig: Modality[];
    try {
      sig = modalitySignature(input.signature);
    } catch (e) {
      return Promise.reject(e);
    }
    const slot = this.pick(sig);
    if (!slot) {
      const any = this.slots.some((s) => s.ready);
      return Promise.reject(new UnavailableError(any ? `no model worker takes the signature ${sig.join('+')}` : 'no model worker is running (restarting)'));
    }
    if (meta.signal?.aborted) return Promise.reject(new Error('request cancelled by the client'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const onAbort = () => this.post(slot, { type: 'abort', id });
      meta.signal?.addEventListener('abort', onAbort, { once: true });
      slot.inflight++;
      slot.pending.set(id, {
        resolve,
        reject,
        onToken,
        cleanup: () => {
          slot.inflight--;
          meta.signal?.removeEventListener('abort', onAbort);
        },
      });
      this.post(slot, { type: 'call', id, ...call });
    });
  }

  /** The live worker with the fewest requests in flight that takes `sig`; ties go round-robin. */
  private pick(sig: Modality[]): Slot | undefined {
    let best: Slot | undefined;
    const n = this.slots.length;
    for (let k = 0; k < n; k++) {
      const s = this.slots[(this.rotate + k) % n]!;
      if (!s.ready || !s.worker) continue;
      if (this.o.accepts && !this.o.accepts(s.index, sig)) continue;
      if (!best || s.inflight < best.inflight) best = s;
    }
    if (best) this.rotate = (best.index + 1) % n;
    return best;
  }

  private post(s: Slot, m: ToWorker): void {
    s.outbox?.send(m);
  }

  /** Starts the worker of a slot; resolves when it is ready, rejects if it fails to start. */
  private spawn(s: Slot): Promise<void> {
    this.started++;
    const w = spawnTsWorker(new URL('./engine-worker-entry.ts', import.meta.url), {
      workerData: { module: this.o.engineModule.href, exportName: this.o.engineExport, options: this.o.engineOptions, worker: s.index },
    });
    s.worker = w;
    s.outbox = new Outbox<ToWorker>((batch) => w.postMessage(batch), setImmediate);
    s.ready = false;
    s.exited = new Promise<void>((resolve) => w.once('exit', () => resolve()));
    let initError: Error | undefined;
    return new Promise<void>((resolve, reject) => {
      const handle = (m: FromWorker): void => {
        switch (m.type) {
          case 'ready':
            s.ready = true;
            s.failures = 0;
            s.stats = m.stats;
            s.engineReady = m.ready;
            return resolve();
          case 'init-error':
            initError = fromWire(m.error);
            return;
          case 'token':
            s.pending.get(m.id)?.onToken?.(m.text);
            return;
          case 'result':
          case 'error': {
            s.stats = m.stats;
            s.engineReady = m.ready;
            const p = s.pending.get(m.id);
            if (!p) return;
            s.pending.delete(m.id);
            p.cleanup();
            if (m.type === 'result') p.resolve(m.result);
            else p.reject(fromWire(m.error));
            return;
          }
          case 'batch':
            try {
              this.o.observer?.onBatch(m.event);
            } catch {
              // observers never fail requests
            }
            return;
          case 'drained':
            s.drained?.();
            s.drained = undefined;
            return;
        }
      };
      w.on('message', (batch: FromWorker[]) => batch.forEach(handle));
      w.on('error', (e) => (initError ??= e));
      w.once('exit', (code) => {
        const wasReady = s.ready;
        s.worker = undefined;
        s.ready = false;
        const err = new UnavailableError(`model worker ${s.index} died (${initError?.message ?? `exit code ${code}`}); its requests failed`);
        for (const p of s.pending.values()) {
          p.cleanup();
          p.reject(err);
        }
        s.pending.clear();
        s.drained?.();
        s.drained = undefined;
        if (!wasReady) reject(initError ?? err);
        if (this.closed || this.draining) return;
        if (!wasReady) s.failures++;
        const delay = s.failures === 0 ? 0 : Math.min(30_000, (this.o.restartBackoffMs ?? 500) * 2 ** (s.failures - 1));
        const t = setTimeout(() => {
          this.timers.delete(t);
          if (!this.closed) this.spawn(s).catch(() => undefined); // a failed replacement schedules the next one itself
        }, delay);
        this.timers.add(t);
      });
    });
  }
}

function wireMeta(meta: RequestMeta): Omit<RequestMeta, 'signal'> {
  const { signal: _signal, ...rest } = meta;
  return rest;
}
