import { isDType, type DType } from './dtype.js';
import { hostTensor, type HostTensor } from './host-tensor.js';
import type { AttrValue, Node } from './node.js';
import { getOpSchema } from './op-schema.js';
import { formatShape, type Dim, type Shape } from './shape.js';
import { Value } from './value.js';
import type { ParamInit } from './param-init.js';

/** A trainable parameter: a graph input with a path name and an initialiser. */
export interface ParamInfo {
  value: Value;
  init: ParamInit;
}

/**
 * A traced computation. Values are created by `input`, `param`, `constant`
 * and by applying ops; nodes are kept in creation order, which is a
 * topological order.
 */
export class Graph {
  readonly nodes: Node[] = [];
  readonly inputs: Value[] = [];
  readonly params = new Map<string, ParamInfo>();
  readonly outputs: { name: string; value: Value }[] = [];
  private nextId = 0;
  private readonly scopeStack: string[] = [];
  private readonly usedNames = new Set<string>();
  private readonly scalarCache = new Map<string, Value>();

  constructor(readonly name = 'mixmodal') {}

  /** The current scope path, e.g. `encoder.layers.0`. */
  get scope(): string {
    return this.scopeStack.join('.');
  }

  /** Runs `fn` with `name` appended to the scope path (parameter and node names use it). */
  withScope<T>(name: string | number, fn: () => T): T {
    this.scopeStack.push(String(name));
    try {
      return fn();
    } finally {
      this.scopeStack.pop();
    }
  }

  /** A runtime input (data, labels, learning rate...). */
  input(name: string, dtype: DType, shape: Shape): Value {
    if (!isDType(dtype)) throw new Error(`input ${name}: unknown dtype ${String(dtype)}`);
    const v = new Value(this, this.nextId++, this.claimName(name), dtype, [...shape], 'input');
    this.inputs.push(v);
    return v;
  }

  /** A trainable parameter named by the scope path plus `name`. */
  param(name: string, shape: readonly number[], init: ParamInit, dtype: DType = 'float32'): Value {
    const path = this.scope ? `${this.scope}.${name}` : name;
    if (this.params.has(path)) throw new Error(`parameter ${path} defined twice`);
    for (const d of shape) {
      if (!Number.isInteger(d) || d < 0) throw new Error(`parameter ${path}: bad shape ${formatShape(shape)}`);
    }
    const v = new Value(this, this.nextId++, this.claimName(path), dtype, [...shape], 'param');
    this.params.set(path, { value: v, init });
    return v;
  }

  /** A constant tensor, emitted as an initializer. */
  constant(data: HostTensor, name?: string): Value {
    const v = new Value(this, this.nextId++, this.claimName(name ?? `const_${this.nextId}`), data.dtype, [...data.shape], 'const');
    v.constData = data;
    if ((data.dtype === 'int64' || data.dtype === 'int32') && data.shape.length <= 1) {
      v.symbolic = Array.from(data.data as ArrayLike<number | bigint>, (x) => Number(x));
    }
    return v;
  }

  /** A scalar constant of `dtype`, shared between uses. */
  scalar(x: number, dtype: DType = 'float32'): Value {
    const key = `${dtype}:${Object.is(x, -0) ? '-0' : x}`;
    let v = this.scalarCache.get(key);
    if (!v) {
      v = this.constant(scalarHost(x, dtype));
      this.scalarCache.set(key, v);
    }
    return v;
  }

  /** A 1-D int64 constant (axes, shapes, indices). */
  ints(values: readonly number[]): Value {
    return this.constant(hostTensor('int64', [values.length], BigInt64Array.from(values.map((x) => BigInt(x)))));
  }

  /** Applies an op; runs its shape inference and names the caller's scope in any error. */
  apply(opType: string, inputs: readonly (Value | null)[], attrs: Record<string, AttrValue> = {}): Value[] {
    const schema = getOpSchema(opType);
    const where = this.scope ? ` at ${this.scope}` : '';
    for (const key of Object.keys(attrs)) {
      if (!(key in schema.attrs)) throw new Error(`${opType}${where}: unknown attribute '${key}'`);
    }
    for (const x of inputs) {
      if (x && x.graph !== this) throw new Error(`${opType}${where}: input ${x.name} belongs to another graph`);
    }
    let specs;
    try {
      specs = schema.infer(inputs, attrs);
    } catch (e) {
      const shapes = inputs.map((x) => (x ? `${x.dtype}${formatShape(x.shape)}` : 'none')).join(', ');
      throw new Error(`${opType}${where}: ${(e as Error).message} (inputs: ${shapes})`);
    }
    const id = this.nextId++;
    const nodeName = `${this.scope ? this.scope + '/' : ''}${opType}_${id}`;
    const outputs = specs.map((s, i) => {
      const v = new Value(this, this.nextId++, this.claimName(`${nodeName}:${i}`), s.dtype, s.shape, 'node');
      if (s.symbolic) v.symbolic = s.symbolic;
      return v;
    });
    const node: Node = { id, opType, name: nodeName, scope: this.scope, inputs: [...inputs], outputs, attrs: { ...attrs } };
    for (const v of outputs) (v as { producer: Node | null }).producer = node;
    this.nodes.push(node);
    return outputs;
  }

  /** Marks `value` as a graph output called `name`. */
  output(name: string, value: Value): void {
    if (value.graph !== this) throw new Error(`output ${name}: value belongs to another graph`);
    if (this.outputs.some((o) => o.name === name)) throw new Error(`output ${name} declared twice`);
    this.outputs.push({ name, value });
  }

  /** Looks up an input by name. */
  getInput(name: string): Value {
    const v = this.inputs.find((x) => x.name === name);
    if (!v) throw new Error(`graph ${this.name} has no input ${name}`);
    return v;
  }

  private claimName(name: string): string {
    if (this.usedNames.has(name)) throw new Error(`name ${name} is already used in graph ${this.name}`);
    this.usedNames.add(name);
    return name;
  }
}

function scalarHost(x: number, dtype: DType): HostTensor {
  switch (dtype) {
    case 'float32':
      return hostTensor(dtype, [], Float32Array.of(x));
    case 'float64':
      return hostTensor(dtype, [], Float64Array.of(x));
    case 'int64':
      return hostTensor(dtype, [], BigInt64Array.of(BigInt(x)));
    case 'int32':
      return hostTensor(dtype, [], Int32Array.of(x));
    case 'bool':
      return hostTensor(dtype, [], Uint8Array.of(x ? 1 : 0));
    default:
      throw new Error(`scalar constants of dtype ${dtype} are not supported`);
  }
}

export type { Dim };
