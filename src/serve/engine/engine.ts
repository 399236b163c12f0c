/**
 * The in-process engine: requests are queued by modality signature, and one
 * loop runs the model —
 *
 *   batch = scheduler.schedule(); out = await runner.run(batch); scheduler.complete(batch, out)
 *
 * — one batch at a time (ONNX Runtime already uses every core per run), while
 * the event loop keeps accepting requests and decoding media. Observers hear
 * about every batch and change nothing.
 */
import { MODALITIES, modalitySignature, type Modality } from '../../model/modalities.js';
import type { BatchingConfig } from '../config.js';
import {
  QueueFullError,
  UnavailableError,
  type BatchEvent,
  type EmbedResult,
  type Engine,
  type EngineObserver,
  type EngineStats,
  type GenerateParams,
  type GenerateResult,
  type InferenceBackend,
  type ModelInput,
  type RequestMeta,
  type RouteResult,
} from '../engine-api.js';
import { BatchRunner, type BatchOutput } from './batch-runner.js';
import { decoderPrompt } from '../../model/decoder-prompt.js';
import { GenerationState, type TokenText } from './generation-state.js';
import { Scheduler, type Batch } from './scheduler.js';
import { queueKey, type WorkItem, type WorkKind, type WorkResults } from './work-item.js';

export interface LocalEngineOptions {
  backend: InferenceBackend;
  /** Decodes generated ids; its pad/bos/eos ids drive batching and decoding. */
  tokenizer: TokenText;
  batching: BatchingConfig;
  observer?: EngineObserver;
}

export class LocalEngine implements Engine {
  private readonly scheduler: Scheduler;
  private readonly runner: BatchRunner;
  private nextId = 1;
  private outstanding = 0;
  private draining = false;
  private closed = false;
  private wake: (() => void) | null = null;
  private drained: (() => void) | null = null;
  private readonly loopDone: Promise<void>;
  /** Moving average of backend seconds per request (for Retry-After). */
  private secondsPerRequest = 0.01;

  constructor(private readonly o: LocalEngineOptions) {
    this.scheduler = new Scheduler(o.batching);
    this.runner = new BatchRunner(o.backend, o.tokenizer.padId);
    this.loopDone = this.loop();
  }

  embed(input: ModelInput, meta: RequestMeta = {}): Promise<EmbedResult> {
    const sig = modalitySignature(input.signature);
    if (sig.length !== 1) return Promise.reject(new Error(`an embedding input has exactly one modality, got ${sig.join('+') || 'none'}`));
    return this.submit('embed', input, meta);
  }

  generate(input: ModelInput, params: GenerateParams, meta: RequestMeta = {}, onToken?: (text: string) => void): Promise<GenerateResult> {
    const maxLen = this.o.backend.cfg.decoder.maxLen;
    const prompt = decoderPrompt(this.o.tokenizer, input.textIds, maxLen);
    const maxNew = Math.min(params.maxTokens, maxLen - prompt.length);
    if (!(maxNew >= 1)) return Promise.reject(new Error(`max tokens must be ≥ 1, got ${params.maxTokens}`));
    return this.submit('generate', input, meta, new GenerationState(params, this.o.tokenizer, maxNew, 0, onToken, prompt));
  }

  route(input: ModelInput, meta: RequestMeta = {}): Promise<RouteResult> {
    return this.submit('route', input, meta);
  }

  stats(): EngineStats {
    return { queued: this.scheduler.queued, running: this.scheduler.running, capacity: this.o.batching.queueSize };
  }

  ready(): boolean {
    return !this.draining && !this.closed && this.scheduler.queued < this.o.batching.queueSize;
  }

  drain(): Promise<void> {
    this.draining = true;
    this.scheduler.flush = true;
    this.wake?.();
    if (this.outstanding === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const prev = this.drained;
      this.drained = () => {
        prev?.();
        resolve();
      };
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.draining = true;
    this.scheduler.abortAll(new UnavailableError('the engine was closed'));
    this.wake?.();
    await this.loopDone;
  }

  private submit<K extends WorkKind>(kind: K, input: ModelInput, meta: RequestMeta, gen?: GenerationState): Promise<WorkResults[K]> {
    if (this.draining) return Promise.reject(new UnavailableError('the server is shutting down and accepts no new requests'));
    if (this.scheduler.queued >= this.o.batching.queueSize) {
      return Promise.reject(new QueueFullError(Math.max(1, Math.ceil(this.scheduler.queued * this.secondsPerRequest))));
    }
    let signature: Modality[];
    try {
      signature = checkInput(input);
    } catch (e) {
      return Promise.reject(e);
    }
    return new Promise<WorkResults[K]>((resolve, reject) => {
      this.outstanding++;
      const done = () => {
        if (--this.outstanding === 0 && this.draining) {
          const d = this.drained;
          this.drained = null;
          d?.();
        }
      };
      const item: WorkItem<K> = {
        id: this.nextId++,
        kind,
        input,
        signature,
        key: queueKey(kind, signature, meta.variant),
        priority: Math.max(0, Math.min(this.o.batching.priorityLevels - 1, Math.trunc(meta.priority ?? 0))),
        enqueuedAt: performance.now(),
        deadline: meta.deadline ?? Date.now() + this.o.batching.requestTimeoutMs,
        variant: meta.variant,
        signal: meta.signal,
        gen,
        settled: false,
        resolve: (v) => {
          done();
          resolve(v);
        },
        reject: (e) => {
          done();
          reject(e);
        },
      };
      this.scheduler.add(item as WorkItem);
      meta.signal?.addEventListener('abort', () => this.wake?.(), { once: true });
      this.wake?.();
    });
  }

  private async loop(): Promise<void> {
    while (!this.closed) {
      const batch = this.scheduler.schedule();
      if (!batch) {
        await this.idle(this.scheduler.msUntilNext());
        continue;
      }
      let out: BatchOutput;
      try {
        out = await this.runner.run(batch);
      } catch (e) {
        this.scheduler.fail(batch, e instanceof Error ? e : new Error(String(e)));
        continue;
      }
      try {
        this.scheduler.complete(batch, out);
      } catch (e) {
        this.scheduler.fail(batch, e instanceof Error ? e : new Error(String(e)));
      }
      this.observe(batch, out);
    }
  }

  /** Waits for a submission, an abort, or `ms` (a queue delay or deadline coming due). */
  private idle(ms: number): Promise<void> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      this.wake = () => {
        this.wake = null;
        if (timer) clearTimeout(timer);
        resolve();
      };
      if (Number.isFinite(ms)) timer = setTimeout(() => this.wake?.(), Math.max(0, ms));
    });
  }

  private observe(batch: Batch, out: BatchOutput): void {
    const size = batch.kind === 'decode' ? batch.rows.length + batch.joining.length : batch.items.length;
    this.secondsPerRequest = 0.9 * this.secondsPerRequest + 0.1 * (out.runSeconds / Math.max(1, size));
    if (!this.o.observer) return;
    const e: BatchEvent =
      batch.kind === 'decode'
        ? { kind: 'decode', size, queueSeconds: [], runSeconds: out.runSeconds, tokens: size }
        : { kind: batch.kind, signature: batch.signature, variant: batch.variant?.name, size, queueSeconds: batch.queueSeconds, runSeconds: out.runSeconds };
    if (out.kind === 'encode') {
      e.gateWeights = out.gateWeights;
      e.moe = out.moe;
    }
    try {
      this.o.observer.onBatch(e);
    } catch {
      // metrics observe; a failing observer never fails a request
    }
  }
}

/** The input's signature, checked against the tensors it carries. */
function checkInput(input: ModelInput): Modality[] {
  const sig = modalitySignature(input.signature);
  if (sig.length === 0) throw new Error('the input carries no modality');
  for (const m of MODALITIES) {
    const has = m === 'text' ? (input.textIds?.length ?? 0) > 0 : input[m] !== undefined;
    if (sig.includes(m) && !has) throw new Error(`the input's signature has ${m} but carries no ${m} data`);
  }
  return sig;
}
