/**
 * Runs a training graph step after step against a ParamStore: ONNX Runtime
 * reads the store's current buffers and writes updated parameters and
 * optimizer state straight into its back buffers (pre-allocated outputs),
 * which then become current. Several sessions (one per modality signature or
 * stage) can share one store.
 */
import * as ort from 'onnxruntime-node';
import { stepScalars } from '../autodiff/optimizers.js';
import type { TrainingGraph } from '../autodiff/training-graph.js';
import type { HostTensor } from '../graph/host-tensor.js';
import { ParamStore } from './param-store.js';
import { Session, toOrtTensor, type SessionOptions } from './session.js';

export interface StepResult {
  loss: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
  /** Metric outputs, by the names given to the training graph. */
  metrics: Record<string, HostTensor>;
}

export class TrainingSession {
  private constructor(
    readonly session: Session,
    readonly graph: TrainingGraph,
    readonly store: ParamStore,
  ) {
    const sig = graph.signature;
    for (const path of [...sig.trainable, ...sig.frozen]) {
      if (!store.has(path)) throw new Error(`missing initial value for parameter ${path}`);
      store.param(path, sig.paramShape[path]!); // checks the shape
    }
  }

  /**
   * Loads the graph into ONNX Runtime. `params` is a shared ParamStore, or
   * initial values (then a private store is made, with optional optimizer
   * state `slot:path` and per-parameter step counts from a checkpoint).
   */
  static async create(
    graph: TrainingGraph,
    params: ParamStore | ReadonlyMap<string, HostTensor>,
    o: SessionOptions & { state?: ReadonlyMap<string, HostTensor>; steps?: ReadonlyMap<string, number> } = {},
  ): Promise<TrainingSession> {
    const store = params instanceof ParamStore ? params : ParamStore.from(params, { state: o.state, steps: o.steps });
    const session = await Session.create(graph.model, o);
    return new TrainingSession(session, graph, store);
  }

  /** One optimizer step on `batch` (data inputs by name) with learning rate `lr`. */
  async step(batch: Record<string, HostTensor>, lr: number): Promise<StepResult> {
    const sig = this.graph.signature;
    const feeds: Record<string, ort.Tensor> = {};
    for (const [k, v] of Object.entries(batch)) feeds[k] = toOrtTensor(v);
    const fetches: Record<string, ort.Tensor | null> = { [sig.loss]: null, [sig.gradNorm]: null };
    for (const name of [...Object.values(sig.metrics), ...Object.values(sig.updateFlags)]) fetches[name] = null;

    const s = sig.scalarNames.length;
    const scalars = new Float32Array(sig.trainable.length * s);
    sig.trainable.forEach((path, i) => {
      scalars.set(stepScalars(this.graph.optimizer, lr, this.store.steps(path) + 1), i * s);
      const p = this.store.param(path, sig.paramShape[path]!);
      feeds[sig.paramInput[path]!] = p.front;
      fetches[sig.paramOutput[path]!] = p.back;
      for (const slot of sig.slots) {
        const st = this.store.state(path, slot);
        feeds[sig.stateInput[path]![slot]!] = st.front;
        fetches[sig.stateOutput[path]![slot]!] = st.back;
      }
    });
    feeds[sig.scalars] = new ort.Tensor('float32', scalars, [sig.trainable.length, s]);
    for (const path of sig.frozen) feeds[sig.paramInput[path]!] = this.store.param(path, sig.paramShape[path]!).front;

    const out = await this.session.runOrt(feeds, fetches);
    const loss = Number((out[sig.loss] as ort.Tensor).data[0]);
    const gradNorm = Number((out[sig.gradNorm] as ort.Tensor).data[0]);
    for (const path of sig.trainable) {
      // A masked parameter came out bit-identical, whatever its flag; only its step count depends on the flag.
      const flag = sig.updateFlags[path];
      this.store.commit(path, sig.slots);
      if (flag && !(out[flag] as ort.Tensor).data[0]) this.store.uncountStep(path);
    }
    const metrics: Record<string, HostTensor> = {};
    for (const [k, name] of Object.entries(sig.metrics)) {
      const t = out[name] as ort.Tensor;
      metrics[k] = { dtype: t.type as HostTensor['dtype'], shape: [...t.dims], data: t.data as HostTensor['data'] };
    }
    return { loss, gradNorm, metrics };
  }

  /** Current parameter values (copies) of the whole store, by path. */
  params(): Map<string, HostTensor> {
    return this.store.params();
  }

  /** Current optimizer state (copies), keyed `slot:path`. */
  optimizerState(): Map<string, HostTensor> {
    return this.store.optimizerState();
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
