/**
 * What runs next: `schedule()` returns an embed/encode batch of one queue
 * group (the dynamic batcher's policy, request-queue.ts) or one decoder step
 * over the running generation rows (continuous batching: rows join and leave
 * between steps); `complete(batch, out)` hands results back — finished
 * requests resolve, encoded generation requests wait to join the decode
 * batch. Encode batches and decode steps alternate when both are ready.
 */
import type { DecodeRow } from '../../model/decoder-batch.js';
import type { Modality } from '../../model/modalities.js';
import type { BatchingConfig } from '../config.js';
import { RequestTimeoutError, type RoutingVariant } from '../engine-api.js';
import { routeResult, type BatchOutput } from './batch-runner.js';
import { EncodeHold } from './encode-hold.js';
import type { GenerationState } from './generation-state.js';
import { RequestQueue, type BatchPolicy } from './request-queue.js';
import { settle, type WorkItem } from './work-item.js';

export interface EncodeBatch {
  kind: 'embed' | 'encode';
  signature: Modality[];
  variant?: RoutingVariant;
  items: WorkItem[];
  /** Seconds each item waited in the queue. */
  queueSeconds: number[];
}

/** A generation request between encode and its end. */
export interface GenerationRow {
  item: WorkItem<'generate'>;
  state: GenerationState;
  memory: Float32Array;
  memLen: number;
  dim: number;
  /** The decoder's row (created when it joins). */
  row?: DecodeRow;
}

export interface DecodeBatch {
  kind: 'decode';
  /** Rows already decoding. */
  rows: GenerationRow[];
  /** Rows joining with this step (fed <bos>). */
  joining: GenerationRow[];
}

export type Batch = EncodeBatch | DecodeBatch;

export class Scheduler {
  readonly queue: RequestQueue;
  private readonly policy: BatchPolicy;
  /** Encoded generation rows waiting for a decode slot, in join order. */
  private joinWait: GenerationRow[] = [];
  private active: GenerationRow[] = [];
  private inFlight = 0;
  private lastWasDecode = false;
  private readonly hold: EncodeHold;
  /** Run queued work without waiting for the queue delay (draining). */
  flush = false;

  constructor(private readonly cfg: BatchingConfig) {
    this.queue = new RequestQueue(cfg.priorityLevels);
    this.policy = { maxBatch: cfg.maxBatch, preferredBatchSizes: cfg.preferredBatchSizes, maxQueueDelayMs: cfg.maxQueueDelayUs / 1000 };
    this.hold = new EncodeHold(cfg.maxHoldSteps);
  }

  /** Requests waiting: in the queue, or encoded and waiting for a decode slot. */
  get queued(): number {
    return this.queue.size + this.joinWait.length;
  }

  /** Requests in the running batch or decoding. */
  get running(): number {
    return this.inFlight + this.active.length;
  }

  add(item: WorkItem): void {
    this.queue.push(item);
  }

  /** The next batch, or null when nothing is runnable now (see msUntilNext). */
  schedule(): Batch | null {
    this.sweep();
    const decodeReady = this.active.length > 0 || this.joinWait.length > 0;
    // alternate: after a decode step an encode batch may run, after an encode batch a decode step
    if (!decodeReady || this.lastWasDecode) {
      const enc = this.pickEncode();
      if (enc) {
        this.lastWasDecode = false;
        this.inFlight += enc.items.length;
        return enc;
      }
    }
    if (!decodeReady) return null;
    this.lastWasDecode = true;
    this.hold.stepped();
    const free = Math.max(0, this.cfg.maxBatch - this.active.length);
    const joining = this.joinWait.splice(0, free);
    const batch: DecodeBatch = { kind: 'decode', rows: this.active, joining };
    this.active = [];
    this.inFlight += batch.rows.length + joining.length;
    return batch;
  }

  /** Milliseconds until a queued group becomes runnable by its delay, or the earliest deadline. */
  msUntilNext(): number {
    let ms = this.queue.msUntilDue(performance.now(), this.policy.maxQueueDelayMs);
    const now = Date.now();
    for (const it of this.queue.items()) ms = Math.min(ms, Math.max(0, it.deadline - now));
    return ms;
  }

  complete(batch: Batch, out: BatchOutput): void {
    if (batch.kind === 'decode') {
      if (out.kind !== 'decode') throw new Error('decode batch got a non-decode output');
      this.inFlight -= batch.rows.length + batch.joining.length;
      const rows = [...batch.rows, ...batch.joining];
      rows.forEach((r, i) => {
        let done: boolean;
        try {
          done = r.state.accept(out.tokens[i]!);
        } catch (e) {
          settle(r.item, { error: e instanceof Error ? e : new Error(String(e)) }); // e.g. a failing stream consumer
          return;
        }
        if (done) settle(r.item, { value: r.state.result() });
        else if (!this.endIfDead(r.item)) this.active.push(r);
      });
      return;
    }
    this.inFlight -= batch.items.length;
    batch.items.forEach((it, b) => {
      if (out.kind === 'embed') {
        settle(it as WorkItem<'embed'>, { value: { embedding: out.embeddings[b]!, modality: batch.signature[0]! } });
      } else if (out.kind === 'encode' && it.kind === 'route') {
        settle(it as WorkItem<'route'>, { value: routeResult(out.gateWeights, b, out.moe, batch.signature) });
      } else if (out.kind === 'encode' && it.kind === 'generate' && !this.endIfDead(it)) {
        const m = out.memories[b]!;
        it.gen!.promptTokens = m.memLen;
        this.joinWait.push({ item: it as WorkItem<'generate'>, state: it.gen!, ...m });
      }
    });
  }

  /** The batch failed as a whole: every request in it fails. */
  fail(batch: Batch, error: Error): void {
    if (batch.kind === 'decode') {
      this.inFlight -= batch.rows.length + batch.joining.length;
      for (const r of [...batch.rows, ...batch.joining]) settle(r.item, { error });
    } else {
      this.inFlight -= batch.items.length;
      for (const it of batch.items) settle(it, { error });
    }
  }

  /** Fails everything not yet finished (engine closed). */
  abortAll(error: Error): void {
    for (const it of this.queue.sweep(() => true)) settle(it, { error });
    for (const r of [...this.joinWait, ...this.active]) settle(r.item, { error });
    this.joinWait = [];
    this.active = [];
  }

  private pickEncode(): EncodeBatch | null {
    const now = performance.now();
    const limit = (key: string): number => {
      if (key.startsWith('route|')) return 1; // routing statistics are per batch: explain one request at a time
      if (key.startsWith('encode|')) {
        const cap = Math.max(0, this.cfg.maxBatch - this.joinWait.length); // no more memories than decode slots
        const decoding = this.active.length + this.joinWait.length;
        return !this.flush && this.hold.holds(key, this.queue.sizeOf(key), cap, decoding) ? 0 : cap; // see encode-hold.ts
      }
      return this.cfg.maxBatch;
    };
    const items = this.queue.pick(now, this.policy, limit, this.flush);
    if (!items) return null;
    const first = items[0]!;
    return {
      kind: first.kind === 'embed' ? 'embed' : 'encode',
      signature: first.signature,
      variant: first.variant,
      items,
      queueSeconds: items.map((it) => (now - it.enqueuedAt) / 1000),
    };
  }

  /** Removes cancelled and expired requests from the queue and the decode rows. */
  private sweep(): void {
    const now = Date.now();
    const dead = (it: WorkItem) => it.settled || it.signal?.aborted === true || now > it.deadline;
    for (const it of this.queue.sweep(dead)) this.endIfDead(it);
    this.joinWait = this.joinWait.filter((r) => !this.endIfDead(r.item));
    this.active = this.active.filter((r) => !this.endIfDead(r.item));
  }

  /** Settles a cancelled or expired request with its error; true if it was (or already is) finished. */
  private endIfDead(it: WorkItem): boolean {
    if (it.settled) return true;
    if (it.signal?.aborted) {
      settle(it, { error: new Error('request cancelled by the client') });
      return true;
    }
    if (Date.now() > it.deadline) {
      settle(it, { error: new RequestTimeoutError(`request timed out after waiting in the engine (deadline passed)`) });
      return true;
    }
    return false;
  }
}
