import type { DType } from './dtype.js';
import type { AttrValue } from './node.js';
import type { Dim, Shape } from './shape.js';
import type { Value } from './value.js';

/** ONNX attribute types used by our op set. */
export type AttrType = 'int' | 'float' | 'string' | 'ints' | 'floats' | 'tensor';

/** What shape inference says about one output. */
export interface OutputSpec {
  dtype: DType;
  shape: Shape;
  /** Known symbolic contents of a 1-D int64 output (see Value.symbolic). */
  symbolic?: Dim[];
}

/** The schema of one operator: its attributes, shape inference, and which inputs carry gradients. */
export interface OpSchema {
  opType: string;
  /** Attribute names and their ONNX types. Unknown attributes are rejected. */
  attrs: Record<string, AttrType>;
  /** Indices of inputs that gradients flow into, or 'all' for variadic ops; [] = not differentiable. */
  differentiableInputs: number[] | 'all';
  /** Number of outputs, or a function of the attributes and inputs. */
  /** Infers dtype and shape of each output; throws a plain message on bad input. */
  infer(inputs: readonly (Value | null)[], attrs: Record<string, AttrValue>): OutputSpec[];
}

const registry = new Map<string, OpSchema>();

export function defineOp(schema: OpSchema): OpSchema {
  if (registry.has(schema.opType)) throw new Error(`op ${schema.opType} defined twice`);
  registry.set(schema.opType, schema);
  return schema;
}

export function getOpSchema(opType: string): OpSchema {
  const s = registry.get(opType);
  if (!s) throw new Error(`unknown op ${opType}`);
  return s;
}

/** Every op in the graph op set (after the ops modules have been imported). */
export function allOpSchemas(): OpSchema[] {
  return [...registry.values()];
}

/** Whether gradients flow into input `i` of an op with this schema. */
export function isDifferentiableInput(schema: OpSchema, i: number): boolean {
  return schema.differentiableInputs === 'all' || schema.differentiableInputs.includes(i);
}
