/**
 * Host memory for a model's parameters and optimizer state, shared by every
 * training session of the model (one per modality signature and stage).
 * Each tensor has two buffers that swap roles after a step: ONNX Runtime
 * reads the front and writes the update straight into the back, so a step
 * neither allocates nor copies them. Each parameter keeps its own step count.
 */
import * as ort from 'onnxruntime-node';
import { numel, type HostTensor } from '../graph/host-tensor.js';

/** A tensor with a front (current) and back (next) buffer. */
export interface DoubleBuffer {
  front: ort.Tensor;
  back: ort.Tensor;
}

interface Entry {
  shape: number[];
  param: DoubleBuffer;
  state: Map<string, DoubleBuffer>;
  /** Optimizer steps that updated this parameter. */
  steps: number;
}

function doubleBuffer(shape: number[], init?: Float32Array): DoubleBuffer {
  const n = numel(shape);
  const front = new Float32Array(n);
  if (init) front.set(init);
  return { front: new ort.Tensor('float32', front, shape), back: new ort.Tensor('float32', new Float32Array(n), shape) };
}

export class ParamStore {
  private readonly entries = new Map<string, Entry>();

  /** A store holding copies of `params`, optionally with optimizer state (`slot:path`) and per-parameter step counts. */
  static from(params: ReadonlyMap<string, HostTensor>, o: { state?: ReadonlyMap<string, HostTensor>; steps?: ReadonlyMap<string, number> } = {}): ParamStore {
    const store = new ParamStore();
    for (const [path, t] of params) store.add(path, t);
    for (const [key, t] of o.state ?? []) {
      const i = key.indexOf(':');
      store.setState(key.slice(i + 1), key.slice(0, i), t);
    }
    for (const [path, n] of o.steps ?? []) store.entry(path).steps = n;
    return store;
  }

  /** Adds a parameter with its initial value (float32). */
  add(path: string, value: HostTensor): void {
    if (this.entries.has(path)) throw new Error(`parameter store already has ${path}`);
    if (value.dtype !== 'float32') throw new Error(`parameter ${path}: only float32 parameters are stored, got ${value.dtype}`);
    this.entries.set(path, { shape: [...value.shape], param: doubleBuffer(value.shape, value.data as Float32Array), state: new Map(), steps: 0 });
  }

  has(path: string): boolean {
    return this.entries.has(path);
  }

  paths(): string[] {
    return [...this.entries.keys()];
  }

  shape(path: string): number[] {
    return this.entry(path).shape;
  }

  /** The parameter's buffers, checked against the shape a graph expects. */
  param(path: string, shape: readonly number[]): DoubleBuffer {
    const e = this.entry(path);
    if (e.shape.join() !== shape.join()) throw new Error(`parameter ${path}: stored shape [${e.shape}] but the graph wants [${shape}]`);
    return e.param;
  }

  /** The optimizer state buffers of `slot` for `path`, created as zeros on first use. */
  state(path: string, slot: string): DoubleBuffer {
    const e = this.entry(path);
    let s = e.state.get(slot);
    if (!s) {
      s = doubleBuffer(e.shape);
      e.state.set(slot, s);
    }
    return s;
  }

  setState(path: string, slot: string, value: HostTensor): void {
    const e = this.entry(path);
    if (value.shape.join() !== e.shape.join()) throw new Error(`optimizer state ${slot}:${path}: shape [${value.shape}] does not match the parameter's [${e.shape}]`);
    e.state.set(slot, doubleBuffer(e.shape, value.data as Float32Array));
  }

  steps(path: string): number {
    return this.entry(path).steps;
  }

  /** After a step: the back buffers hold the new values; make them current and count the step. */
  commit(path: string, slots: readonly string[]): void {
    const e = this.entry(path);
    swap(e.param);
    for (const s of slots) swap(this.state(path, s));
    e.steps += 1;
  }

  /** Takes back the step count of a step that left the parameter unchanged (a masked, idle expert). */
  uncountStep(path: string): void {
    this.entry(path).steps -= 1;
  }

  /** Copies of the current parameter values. */
  params(): Map<string, HostTensor> {
    return new Map([...this.entries].map(([p, e]) => [p, copy(e.param.front, e.shape)]));
  }

  /** Copies of the current optimizer state, keyed `slot:path`. */
  optimizerState(): Map<string, HostTensor> {
    const out = new Map<string, HostTensor>();
    for (const [p, e] of this.entries) for (const [slot, b] of e.state) out.set(`${slot}:${p}`, copy(b.front, e.shape));
    return out;
  }

  stepCounts(): Map<string, number> {
    return new Map([...this.entries].map(([p, e]) => [p, e.steps]));
  }

  private entry(path: string): Entry {
    const e = this.entries.get(path);
    if (!e) throw new Error(`parameter store has no ${path}`);
    return e;
  }
}

function swap(b: DoubleBuffer): void {
  [b.front, b.back] = [b.back, b.front];
}

function copy(t: ort.Tensor, shape: number[]): HostTensor {
  return { dtype: 'float32', shape: [...shape], data: (t.data as Float32Array).slice() };
}
