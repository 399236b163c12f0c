/**
 * Elementwise ops with ONNX (numpy) broadcasting: arithmetic, activations,
 * comparisons, Where, Cast, Clip, Max/Min, Identity.
 */
import { ONNX_DTYPE_CODE, type DType } from '../dtype.js';
import { defineOp } from '../op-schema.js';
import { broadcastShapes } from '../shape.js';
import type { Value } from '../value.js';
import { dtypeFromCode, req, requireFloat, sameDType } from './infer-helpers.js';

const binaryArith = ['Add', 'Sub', 'Mul', 'Div', 'Pow'] as const;
for (const opType of binaryArith) {
  defineOp({
    opType,
    attrs: {},
    differentiableInputs: [0, 1],
    infer(inputs) {
      const a = req(inputs, 0, 'A');
      const b = req(inputs, 1, 'B');
      if (opType !== 'Pow') sameDType([a, b]);
      return [{ dtype: a.dtype, shape: broadcastShapes(a.shape, b.shape) }];
    },
  });
}

for (const opType of ['Max', 'Min'] as const) {
  defineOp({
    opType,
    attrs: {},
    differentiableInputs: 'all',
    infer(inputs) {
      const xs = inputs.map((x, i) => req(inputs, i, `input ${i}`));
      return [{ dtype: sameDType(xs), shape: broadcastShapes(...xs.map((x) => x.shape)) }];
    },
  });
}

const floatUnary = ['Neg', 'Sqrt', 'Reciprocal', 'Exp', 'Log', 'Tanh', 'Erf', 'Sigmoid', 'Relu', 'Identity'] as const;
for (const opType of floatUnary) {
  defineOp({
    opType,
    attrs: {},
    differentiableInputs: [0],
    infer(inputs) {
      const x = req(inputs, 0, 'X');
      if (opType !== 'Neg' && opType !== 'Identity' && opType !== 'Relu') requireFloat(x);
      return [{ dtype: x.dtype, shape: x.shape, symbolic: opType === 'Identity' ? x.symbolic : undefined }];
    },
  });
}

defineOp({
  opType: 'Gelu',
  attrs: { approximate: 'string' },
  differentiableInputs: [0],
  infer(inputs, attrs) {
    const x = req(inputs, 0, 'X');
    requireFloat(x);
    const approx = attrs.approximate ?? 'none';
    if (approx !== 'none' && approx !== 'tanh') throw new Error(`approximate must be 'none' or 'tanh', got ${String(approx)}`);
    return [{ dtype: x.dtype, shape: x.shape }];
  },
});

for (const opType of ['Equal', 'Less', 'Greater'] as const) {
  defineOp({
    opType,
    attrs: {},
    differentiableInputs: [],
    infer(inputs) {
      const a = req(inputs, 0, 'A');
      const b = req(inputs, 1, 'B');
      sameDType([a, b]);
      return [{ dtype: 'bool', shape: broadcastShapes(a.shape, b.shape) }];
    },
  });
}

defineOp({
  opType: 'Not',
  attrs: {},
  differentiableInputs: [],
  infer(inputs) {
    const x = req(inputs, 0, 'X');
    if (x.dtype !== 'bool') throw new Error(`Not needs a bool input, got ${x.dtype}`);
    return [{ dtype: 'bool', shape: x.shape }];
  },
});

defineOp({
  opType: 'Where',
  attrs: {},
  differentiableInputs: [1, 2],
  infer(inputs) {
    const c = req(inputs, 0, 'condition');
    const x = req(inputs, 1, 'X');
    const y = req(inputs, 2, 'Y');
    if (c.dtype !== 'bool') throw new Error(`condition must be bool, got ${c.dtype}`);
    return [{ dtype: sameDType([x, y], 'X and Y'), shape: broadcastShapes(c.shape, x.shape, y.shape) }];
  },
});

defineOp({
  opType: 'Cast',
  attrs: { to: 'int', saturate: 'int' },
  differentiableInputs: [0],
  infer(inputs, attrs) {
    const x = req(inputs, 0, 'input');
    const to = dtypeFromCode(attrs.to as number);
    return [{ dtype: to, shape: x.shape, symbolic: to === 'int64' ? x.symbolic : undefined }];
  },
});

defineOp({
  opType: 'Clip',
  attrs: {},
  differentiableInputs: [0],
  infer(inputs) {
    const x = req(inputs, 0, 'input');
    for (const i of [1, 2]) {
      const b = inputs[i];
      if (b && (b.rank !== 0 || b.dtype !== x.dtype)) throw new Error(`Clip bound ${i} must be a ${x.dtype} scalar`);
    }
    return [{ dtype: x.dtype, shape: x.shape }];
  },
});

// ---- builders -------------------------------------------------------------

/** Lifts a JS number to a scalar constant of `like`'s dtype. */
export function lift(x: Value | number, like: Value): Value {
  return typeof x === 'number' ? like.graph.scalar(x, like.dtype) : x;
}

function binary(opType: string, a: Value | number, b: Value | number): Value {
  const like = typeof a === 'number' ? (b as Value) : a;
  return like.graph.apply(opType, [lift(a, like), lift(b, like)])[0]!;
}

export const add = (a: Value | number, b: Value | number): Value => binary('Add', a, b);
export const sub = (a: Value | number, b: Value | number): Value => binary('Sub', a, b);
export const mul = (a: Value | number, b: Value | number): Value => binary('Mul', a, b);
export const div = (a: Value | number, b: Value | number): Value => binary('Div', a, b);
export const pow = (a: Value | number, b: Value | number): Value => binary('Pow', a, b);
export const maximum = (a: Value | number, b: Value | number): Value => binary('Max', a, b);
export const minimum = (a: Value | number, b: Value | number): Value => binary('Min', a, b);
export const equal = (a: Value | number, b: Value | number): Value => binary('Equal', a, b);
export const less = (a: Value | number, b: Value | number): Value => binary('Less', a, b);
export const greater = (a: Value | number, b: Value | number): Value => binary('Greater', a, b);

const unary = (opType: string) => (x: Value): Value => x.graph.apply(opType, [x])[0]!;
export const neg = unary('Neg');
export const sqrt = unary('Sqrt');
export const reciprocal = unary('Reciprocal');
export const exp = unary('Exp');
export const log = unary('Log');
export const tanh = unary('Tanh');
export const erf = unary('Erf');
export const sigmoid = unary('Sigmoid');
export const relu = unary('Relu');
export const identity = unary('Identity');
export const not = unary('Not');

export function gelu(x: Value, approximate: 'none' | 'tanh' = 'none'): Value {
  return x.graph.apply('Gelu', [x], approximate === 'none' ? {} : { approximate })[0]!;
}

export function where(cond: Value, x: Value | number, y: Value | number): Value {
  const like = typeof x === 'number' ? (y as Value) : x;
  return cond.graph.apply('Where', [cond, lift(x, like), lift(y, like)])[0]!;
}

export function cast(x: Value, to: DType): Value {
  if (x.dtype === to) return x;
  return x.graph.apply('Cast', [x], { to: ONNX_DTYPE_CODE[to] })[0]!;
}

export function clip(x: Value, min?: number, max?: number): Value {
  const g = x.graph;
  return g.apply('Clip', [x, min === undefined ? null : g.scalar(min, x.dtype), max === undefined ? null : g.scalar(max, x.dtype)])[0]!;
}

/** x² */
export const square = (x: Value): Value => mul(x, x);
