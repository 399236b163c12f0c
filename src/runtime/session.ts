/**
 * ONNX Runtime sessions: created once from emitted bytes, run on whole graphs
 * with host tensors in and out.
 */
import { availableParallelism } from 'node:os';
import * as ort from 'onnxruntime-node';
import type { DType } from '../graph/dtype.js';
import type { HostTensor } from '../graph/host-tensor.js';

export interface SessionOptions {
  /** Intra-op threads (default: the number of cores). */
  threads?: number;
  /**
   * Whether idle ONNX Runtime pool threads spin-wait for the next piece of
   * work (default true, ONNX Runtime's own default: lowest latency when the
   * process has the cores to itself). false makes them block instead
   * (session.intra_op/inter_op.allow_spinning = 0): where the cores are shared
   * (a server's event loop, media decoding, worker threads) a spinning thread
   * takes a core from that work, and slows ONNX Runtime itself when it is
   * preempted (mm-small encode of 32 on 2 cores next to a busy thread:
   * 2 spinning threads ~170 ms, 2 blocking ~95 ms, 1 thread ~112 ms).
   */
  spinning?: boolean;
  /** Graph optimisation level (default 'all'). */
  optimization?: 'disabled' | 'basic' | 'extended' | 'all';
  /**
   * Record ONNX Runtime's per-node profile (Chrome trace JSON: each kernel's
   * time, op type and shapes) to a file whose name starts with this path; the
   * file is written when the session is released. See runtime/ort-profile.ts.
   */
  profilePrefix?: string;
}

const ORT_TYPES: Partial<Record<DType, ort.Tensor.Type>> = {
  float32: 'float32',
  float64: 'float64',
  float16: 'float16',
  int64: 'int64',
  int32: 'int32',
  int8: 'int8',
  uint8: 'uint8',
  bool: 'bool',
};

export function toOrtTensor(t: HostTensor): ort.Tensor {
  const type = ORT_TYPES[t.dtype];
  if (!type) throw new Error(`dtype ${t.dtype} cannot be fed to ONNX Runtime from JavaScript`);
  return new ort.Tensor(type, t.data as never, t.shape);
}

export function fromOrtTensor(t: ort.Tensor): HostTensor {
  const dtype = (Object.keys(ORT_TYPES) as DType[]).find((d) => ORT_TYPES[d] === t.type);
  if (!dtype) throw new Error(`ONNX Runtime returned an unsupported tensor type ${t.type}`);
  return { dtype, shape: [...t.dims], data: t.data as HostTensor['data'] };
}

/** The ONNX Runtime session options of `o`; `extra` entries become session config keys (flattened with dots). */
export function ortSessionOptions(o: SessionOptions): ort.InferenceSession.SessionOptions {
  const opts: ort.InferenceSession.SessionOptions = {
    intraOpNumThreads: o.threads ?? availableParallelism(),
    interOpNumThreads: 1,
    graphOptimizationLevel: o.optimization ?? 'all',
    executionMode: 'sequential',
  };
  if (o.profilePrefix) Object.assign(opts, { enableProfiling: true, profileFilePrefix: o.profilePrefix });
  if (o.spinning === false) opts.extra = { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } };
  return opts;
}

/** A loaded model. Feeds and fetches are keyed by graph input/output name. */
export class Session {
  private constructor(
    readonly ort: ort.InferenceSession,
    readonly inputNames: readonly string[],
    readonly outputNames: readonly string[],
  ) {}

  static async create(model: Uint8Array | string, o: SessionOptions = {}): Promise<Session> {
    const opts = ortSessionOptions(o);
    const s = typeof model === 'string' ? await ort.InferenceSession.create(model, opts) : await ort.InferenceSession.create(model, opts);
    return new Session(s, s.inputNames, s.outputNames);
  }

  /**
   * Runs the graph. Feeds not used by the session are ignored; a missing one
   * is an error naming it. `fetch` limits the outputs computed.
   */
  async run(feeds: Record<string, HostTensor | ort.Tensor>, fetch?: readonly string[]): Promise<Record<string, HostTensor>> {
    const out = await this.runOrt(feeds, fetch);
    const result: Record<string, HostTensor> = {};
    for (const [k, v] of Object.entries(out)) result[k] = fromOrtTensor(v as ort.Tensor);
    return result;
  }

  /** Like `run`, returning ORT tensors; `fetches` may hold pre-allocated output tensors. */
  async runOrt(
    feeds: Record<string, HostTensor | ort.Tensor>,
    fetches?: readonly string[] | Record<string, ort.Tensor | null>,
  ): Promise<ort.InferenceSession.ReturnType> {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const name of this.inputNames) {
      const f = feeds[name];
      if (!f) throw new Error(`missing feed '${name}' (the model needs: ${this.inputNames.join(', ')})`);
      ortFeeds[name] = f instanceof ort.Tensor ? f : toOrtTensor(f as HostTensor);
    }
    return fetches ? this.ort.run(ortFeeds, fetches as never) : this.ort.run(ortFeeds);
  }

  async release(): Promise<void> {
    await this.ort.release();
  }
}
