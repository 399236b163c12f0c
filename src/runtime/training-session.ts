/**
 * Runs a training graph step after step. Parameters and optimizer state stay
 * in two sets of host buffers that swap roles each step: ONNX Runtime reads
 * the front set and writes the updated values straight into the back set
 * (pre-allocated outputs), so no step allocates or copies them.
 */
import * as ort from 'onnxruntime-node';
import type { TrainingGraph } from '../autodiff/training-graph.js';
import { numel, type HostTensor } from '../graph/host-tensor.js';
import { Session, toOrtTensor, type SessionOptions } from './session.js';

export interface StepResult {
  loss: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
  /** Metric outputs, by the names given to the training graph. */
  metrics: Record<string, HostTensor>;
}

interface Slot {
  inputName: string;
  outputName: string;
  front: ort.Tensor;
  back: ort.Tensor;
}

export class TrainingSession {
  /** Number of completed steps (the next step's bias-correction t is stepCount + 1). */
  stepCount = 0;
  private readonly slots: Slot[] = [];
  private readonly frozenFeeds: Record<string, ort.Tensor> = {};

  private constructor(
    readonly session: Session,
    readonly graph: TrainingGraph,
    params: ReadonlyMap<string, HostTensor>,
    state?: ReadonlyMap<string, HostTensor>,
  ) {
    const sig = graph.signature;
    const tensorFor = (path: string, src: HostTensor | undefined, what: string) => {
      const shape = sig.paramShape[path]!;
      const data = new Float32Array(numel(shape));
      if (src) {
        if (src.dtype !== 'float32' || src.shape.join() !== shape.join()) {
          throw new Error(`${what} ${path}: got ${src.dtype}[${src.shape}] but the model wants float32[${shape}]`);
        }
        data.set(src.data as Float32Array);
      }
      return new ort.Tensor('float32', data, shape);
    };
    for (const path of sig.trainable) {
      const p = params.get(path);
      if (!p) throw new Error(`missing initial value for parameter ${path}`);
      this.slots.push({ inputName: sig.paramInput[path]!, outputName: sig.paramOutput[path]!, front: tensorFor(path, p, 'parameter'), back: tensorFor(path, undefined, 'parameter') });
      for (const s of sig.slots) {
        const key = `${s}:${path}`;
        this.slots.push({
          inputName: sig.stateInput[path]![s]!,
          outputName: sig.stateOutput[path]![s]!,
          front: tensorFor(path, state?.get(key), 'optimizer state'),
          back: tensorFor(path, undefined, 'optimizer state'),
        });
      }
    }
    for (const path of sig.frozen) {
      const p = params.get(path);
      if (!p) throw new Error(`missing value for frozen parameter ${path}`);
      this.frozenFeeds[sig.paramInput[path]!] = tensorFor(path, p, 'parameter');
    }
  }

  /** Loads the graph into ONNX Runtime with initial parameters (and optionally optimizer state from a checkpoint). */
  static async create(
    graph: TrainingGraph,
    params: ReadonlyMap<string, HostTensor>,
    o: SessionOptions & { state?: ReadonlyMap<string, HostTensor>; stepCount?: number } = {},
  ): Promise<TrainingSession> {
    const session = await Session.create(graph.model, o);
    const ts = new TrainingSession(session, graph, params, o.state);
    ts.stepCount = o.stepCount ?? 0;
    return ts;
  }

  /** One optimizer step on `batch` (data inputs by name) with learning rate `lr`. */
  async step(batch: Record<string, HostTensor>, lr: number): Promise<StepResult> {
    const sig = this.graph.signature;
    const feeds: Record<string, ort.Tensor> = { ...this.frozenFeeds };
    for (const [k, v] of Object.entries(batch)) feeds[k] = toOrtTensor(v);
    feeds[sig.lr] = new ort.Tensor('float32', Float32Array.of(lr), []);
    feeds[sig.step] = new ort.Tensor('float32', Float32Array.of(this.stepCount + 1), []);
    const fetches: Record<string, ort.Tensor | null> = { [sig.loss]: null, [sig.gradNorm]: null };
    for (const name of Object.values(sig.metrics)) fetches[name] = null;
    for (const s of this.slots) {
      feeds[s.inputName] = s.front;
      fetches[s.outputName] = s.back;
    }
    const out = await this.session.runOrt(feeds, fetches);
    const loss = Number((out[sig.loss] as ort.Tensor).data[0]);
    const gradNorm = Number((out[sig.gradNorm] as ort.Tensor).data[0]);
    for (const s of this.slots) [s.front, s.back] = [s.back, s.front];
    this.stepCount += 1;
    const metrics: Record<string, HostTensor> = {};
    for (const [k, name] of Object.entries(sig.metrics)) {
      const t = out[name] as ort.Tensor;
      metrics[k] = { dtype: t.type as HostTensor['dtype'], shape: [...t.dims], data: t.data as HostTensor['data'] };
    }
    return { loss, gradNorm, metrics };
  }

  /** Current parameter values (copies), trainable and frozen, by path. */
  params(): Map<string, HostTensor> {
    const sig = this.graph.signature;
    const out = new Map<string, HostTensor>();
    const byInput = new Map(this.slots.map((s) => [s.inputName, s.front]));
    for (const path of [...sig.trainable, ...sig.frozen]) {
      const t = byInput.get(sig.paramInput[path]!) ?? this.frozenFeeds[sig.paramInput[path]!]!;
      out.set(path, { dtype: 'float32', shape: [...t.dims], data: (t.data as Float32Array).slice() });
    }
    return out;
  }

  /** Current optimizer state (copies), keyed `slot:path`, for checkpoints. */
  optimizerState(): Map<string, HostTensor> {
    const sig = this.graph.signature;
    const out = new Map<string, HostTensor>();
    const byInput = new Map(this.slots.map((s) => [s.inputName, s.front]));
    for (const path of sig.trainable) {
      for (const s of sig.slots) {
        const t = byInput.get(sig.stateInput[path]![s]!)!;
        out.set(`${s}:${path}`, { dtype: 'float32', shape: [...t.dims], data: (t.data as Float32Array).slice() });
      }
    }
    return out;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
