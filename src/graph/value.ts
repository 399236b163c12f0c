import type { DType } from './dtype.js';
import type { HostTensor } from './host-tensor.js';
import type { Dim, Shape } from './shape.js';
import type { Graph } from './graph.js';
import type { Node } from './node.js';

/** Where a value comes from. */
export type ValueKind = 'input' | 'param' | 'const' | 'node';

/**
 * A symbolic tensor: the result of tracing. It has a dtype and a shape whose
 * dims are numbers or names; its contents exist only when the graph runs.
 */
export class Value {
  /** For constants: the data. */
  constData?: HostTensor;
  /**
   * For 1-D integer tensors whose contents are known symbolically (e.g. the
   * result of Shape): one Dim per element. Lets Reshape(x, Shape(y)) keep
   * named dims through shape inference.
   */
  symbolic?: Dim[];

  constructor(
    readonly graph: Graph,
    readonly id: number,
    /** Unique name in the emitted ONNX graph. */
    readonly name: string,
    readonly dtype: DType,
    readonly shape: Shape,
    readonly kind: ValueKind,
    /** The node that produced it, for kind 'node'. */
    readonly producer: Node | null = null,
  ) {}

  get rank(): number {
    return this.shape.length;
  }

  toString(): string {
    return `${this.name}: ${this.dtype}[${this.shape.join(', ')}]`;
  }
}
