/** Reductions and axis ops: ReduceSum/Mean/Max, Softmax, LogSoftmax, CumSum, TopK, LayerNormalization. */
import { defineOp } from '../op-schema.js';
import { freshDim, normAxis, type Dim } from '../shape.js';
import type { Value } from '../value.js';
import { axisAttr, dtypeFromCode, knownInts, req, requireFloat, requireInts, sameDType } from './infer-helpers.js';

for (const opType of ['ReduceSum', 'ReduceMean', 'ReduceMax'] as const) {
  defineOp({
    opType,
    attrs: { keepdims: 'int', noop_with_empty_axes: 'int' },
    differentiableInputs: [0],
    infer(inputs, attrs) {
      const x = req(inputs, 0, 'data');
      const keep = (attrs.keepdims ?? 1) !== 0;
      const axesIn = inputs[1];
      const axes = axesIn ? requireInts(axesIn, 'axes').map((a) => normAxis(a, x.rank)) : x.shape.map((_, i) => i);
      if (axesIn && axes.length === 0 && attrs.noop_with_empty_axes) return [{ dtype: x.dtype, shape: x.shape }];
      const all = axes.length === 0 ? x.shape.map((_, i) => i) : axes;
      const shape: Dim[] = [];
      x.shape.forEach((d, i) => {
        if (!all.includes(i)) shape.push(d);
        else if (keep) shape.push(1);
      });
      return [{ dtype: x.dtype, shape }];
    },
  });
}

for (const opType of ['Softmax', 'LogSoftmax'] as const) {
  defineOp({
    opType,
    attrs: { axis: 'int' },
    differentiableInputs: [0],
    infer(inputs, attrs) {
      const x = req(inputs, 0, 'input');
      requireFloat(x);
      axisAttr(attrs, x.rank, -1);
      return [{ dtype: x.dtype, shape: x.shape }];
    },
  });
}

defineOp({
  opType: 'CumSum',
  attrs: { exclusive: 'int', reverse: 'int' },
  differentiableInputs: [0],
  infer(inputs) {
    const x = req(inputs, 0, 'x');
    const axis = requireInts(req(inputs, 1, 'axis'), 'axis');
    normAxis(axis[0]!, x.rank);
    return [{ dtype: x.dtype, shape: x.shape }];
  },
});

defineOp({
  opType: 'TopK',
  attrs: { axis: 'int', largest: 'int', sorted: 'int' },
  differentiableInputs: [0],
  infer(inputs, attrs) {
    const x = req(inputs, 0, 'X');
    const axis = axisAttr(attrs, x.rank, -1);
    const k = knownInts(req(inputs, 1, 'K'));
    const d = x.shape[axis]!;
    if (k && typeof d === 'number' && k[0]! > d) throw new Error(`K = ${k[0]} exceeds axis size ${d}`);
    const shape = [...x.shape];
    shape[axis] = k ? k[0]! : freshDim('k');
    return [
      { dtype: x.dtype, shape },
      { dtype: 'int64', shape },
    ];
  },
});

defineOp({
  opType: 'LayerNormalization',
  attrs: { axis: 'int', epsilon: 'float', stash_type: 'int' },
  differentiableInputs: [0, 1, 2],
  infer(inputs, attrs) {
    const x = req(inputs, 0, 'X');
    const scale = req(inputs, 1, 'Scale');
    requireFloat(x);
    sameDType(inputs.filter((v): v is Value => !!v));
    const axis = axisAttr(attrs, x.rank, -1);
    const norm = x.shape.slice(axis);
    for (const p of [scale, inputs[2]]) {
      if (p && (p.rank > norm.length || p.shape.some((d, i) => conflicts(d, norm[norm.length - p.rank + i]!)))) {
        throw new Error(`Scale/B shape [${p.shape.join(', ')}] does not match normalised dims [${norm.join(', ')}]`);
      }
    }
    const statShape = x.shape.map((d, i) => (i < axis ? d : 1));
    const statType = dtypeFromCode((attrs.stash_type as number | undefined) ?? 1);
    return [
      { dtype: x.dtype, shape: x.shape },
      { dtype: statType, shape: statShape },
      { dtype: statType, shape: statShape },
    ];
  },
});

/** Two dims that are both static, differ, and the first is not a broadcast 1. */
function conflicts(d: Dim, n: Dim): boolean {
  return typeof d === 'number' && typeof n === 'number' && d !== n && d !== 1;
}

// ---- builders -------------------------------------------------------------

function reduce(opType: string, x: Value, axes: number[] | undefined, keepdims: boolean): Value {
  const g = x.graph;
  const inputs = axes === undefined ? [x] : [x, g.ints(axes)];
  return g.apply(opType, inputs, { keepdims: keepdims ? 1 : 0 })[0]!;
}

/** Sum over `axes` (all when omitted). */
export const reduceSum = (x: Value, axes?: number[], keepdims = false): Value => reduce('ReduceSum', x, axes, keepdims);
export const reduceMean = (x: Value, axes?: number[], keepdims = false): Value => reduce('ReduceMean', x, axes, keepdims);
export const reduceMax = (x: Value, axes?: number[], keepdims = false): Value => reduce('ReduceMax', x, axes, keepdims);

export const softmax = (x: Value, axis = -1): Value => x.graph.apply('Softmax', [x], { axis })[0]!;
export const logSoftmax = (x: Value, axis = -1): Value => x.graph.apply('LogSoftmax', [x], { axis })[0]!;

export function cumsum(x: Value, axis: number, o: { exclusive?: boolean; reverse?: boolean } = {}): Value {
  const attrs: Record<string, number> = {};
  if (o.exclusive) attrs.exclusive = 1;
  if (o.reverse) attrs.reverse = 1;
  return x.graph.apply('CumSum', [x, x.graph.ints([axis])], attrs)[0]!;
}

/** The k largest (or smallest) entries along `axis`: [values, int64 indices]. */
export function topk(x: Value, k: number | Value, o: { axis?: number; largest?: boolean; sorted?: boolean } = {}): [Value, Value] {
  const g = x.graph;
  const kv = typeof k === 'number' ? g.ints([k]) : k;
  const attrs: Record<string, number> = { axis: o.axis ?? -1 };
  if (o.largest === false) attrs.largest = 0;
  if (o.sorted === false) attrs.sorted = 0;
  const [values, indices] = g.apply('TopK', [x, kv], attrs);
  return [values!, indices!];
}

/** Layer normalisation over dims `axis..end` (Ba et al. 2016); returns Y only. */
export function layerNorm(x: Value, scale: Value, bias: Value | null, o: { axis?: number; epsilon?: number } = {}): Value {
  const attrs: Record<string, number> = { axis: o.axis ?? -1, epsilon: o.epsilon ?? 1e-5 };
  return x.graph.apply('LayerNormalization', bias ? [x, scale, bias] : [x, scale], attrs)[0]!;
}
