/**
 * Expert shards as worker threads in this process (the embedded default of
 * expert parallelism): each WorkerShard owns a thread with its experts'
 * weights and sessions; tokens go in and out by message passing with
 * transferred buffers. A thread that dies fails its in-flight calls with
 * UnavailableError; the next call starts a new thread.
 */
import type { Worker } from 'node:worker_threads';
import type { HostTensor } from '../../graph/host-tensor.js';
import type { ModelConfig } from '../../model/config.js';
import { UnavailableError } from '../engine-api.js';
import { spawnTsWorker } from '../workers/ts-worker.js';
import { expertParams } from './expert-runner.js';
import { splitExperts, type ExpertPlacement, type ExpertTransport } from './expert-transport.js';

export type WorkerShardRequest = { type: 'run'; id: number; layer: number; expert: number; input: Float32Array; rows: number } | { type: 'close' };
export type WorkerShardReply = { type: 'ready' } | { type: 'result'; id: number; output: Float32Array } | { type: 'error'; id: number; message: string };

export interface WorkerShardOptions {
  /** ONNX Runtime intra-op threads of the shard's sessions (default 1). */
  threads?: number;
}

interface Pending {
  resolve: (out: Float32Array) => void;
  reject: (e: Error) => void;
}

export class WorkerShard implements ExpertTransport {
  readonly label: string;
  private readonly params: [string, HostTensor][];
  private worker?: Worker;
  private ready?: Promise<void>;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private closed = false;
  /** Threads started so far (1 + restarts after deaths). */
  starts = 0;

  constructor(
    readonly cfg: ModelConfig,
    params: ReadonlyMap<string, HostTensor>,
    readonly experts: readonly number[],
    readonly o: WorkerShardOptions = {},
  ) {
    this.label = `worker-thread shard (experts ${experts.join(',')})`;
    this.params = [...expertParams(cfg, params, experts)]; // only what the shard needs crosses to the thread
  }

  /** Starts the thread and waits until its sessions are compiled. */
  start(): Promise<void> {
    if (this.closed) return Promise.reject(new UnavailableError(`${this.label} is closed`));
    if (this.ready) return this.ready;
    this.starts++;
    const w = spawnTsWorker(new URL('./worker-shard-entry.ts', import.meta.url), {
      workerData: { cfg: this.cfg, params: this.params, experts: this.experts, threads: this.o.threads ?? 1 },
    });
    this.worker = w;
    this.ready = new Promise<void>((resolve, reject) => {
      w.on('message', (msg: WorkerShardReply) => {
        if (msg.type === 'ready') return resolve();
        const p = this.pending.get(msg.id);
        if (!p) return;
        this.pending.delete(msg.id);
        if (msg.type === 'result') p.resolve(msg.output);
        else p.reject(new Error(`${this.label}: ${msg.message}`));
      });
      const died = (why: string) => {
        if (this.worker !== w) return;
        this.worker = undefined;
        this.ready = undefined;
        const err = new UnavailableError(`${this.label} died: ${why}`);
        reject(err);
        for (const p of this.pending.values()) p.reject(err);
        this.pending.clear();
      };
      w.on('error', (e) => died(e.message));
      w.on('exit', (code) => died(`thread exited with code ${code}`));
    });
    this.ready.catch(() => {}); // observed by callers of start/run
    return this.ready;
  }

  async run(layer: number, expert: number, input: Float32Array, rows: number): Promise<Float32Array> {
    await this.start();
    const w = this.worker;
    if (!w) throw new UnavailableError(`${this.label} died`);
    return new Promise<Float32Array>((resolve, reject) => {
      const id = this.nextId++;
      this.pending.set(id, { resolve, reject });
      const own = input.byteOffset === 0 && input.byteLength === input.buffer.byteLength ? input : input.slice();
      w.postMessage({ type: 'run', id, layer, expert, input: own, rows } satisfies WorkerShardRequest, [own.buffer as ArrayBuffer]);
    });
  }

  /** Ends the thread abruptly (tests: a shard dying). The next call starts a new one. */
  async kill(): Promise<void> {
    const w = this.worker;
    if (!w) return;
    const exited = new Promise<void>((resolve) => w.once('exit', () => resolve()));
    await w.terminate();
    await exited;
  }

  async close(): Promise<void> {
    this.closed = true;
    const w = this.worker;
    if (!w) return;
    const exited = new Promise<void>((resolve) => w.once('exit', () => resolve()));
    w.postMessage({ type: 'close' } satisfies WorkerShardRequest);
    const timer = setTimeout(() => void w.terminate(), 2000);
    await exited;
    clearTimeout(timer);
  }
}

/** `n` worker-thread shards splitting the experts evenly (the default placement). */
export function workerShards(cfg: ModelConfig, params: ReadonlyMap<string, HostTensor>, n: number, o: WorkerShardOptions = {}): ExpertPlacement[] {
  return splitExperts(cfg.fusion.moe.numExperts, n).map((experts) => ({ transport: new WorkerShard(cfg, params, experts, o), experts }));
}
