import type { Value } from './value.js';

/** An attribute value; its ONNX type comes from the op's schema. */
export type AttrValue = number | string | number[] | import('./host-tensor.js').HostTensor;

/** One operator application in the traced graph. */
export interface Node {
  readonly id: number;
  readonly opType: string;
  /** Unique node name, prefixed by the scope path it was traced in. */
  readonly name: string;
  /** Scope path at trace time, e.g. `encoder.layers.0.mlp`. */
  readonly scope: string;
  /** Inputs; null marks an omitted optional input. */
  readonly inputs: readonly (Value | null)[];
  readonly outputs: readonly Value[];
  readonly attrs: Readonly<Record<string, AttrValue>>;
}
