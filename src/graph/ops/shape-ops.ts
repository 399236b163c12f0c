/**
 * Ops that move data without arithmetic: Reshape, Transpose, Concat, Split,
 * Slice, Squeeze, Unsqueeze, Expand, and the shape-producing Shape,
 * ConstantOfShape and Range.
 */
import type { DType } from '../dtype.js';
import type { HostTensor } from '../host-tensor.js';
import { defineOp } from '../op-schema.js';
import { broadcastShapes, freshDim, normAxis, staticNumel, type Dim } from '../shape.js';
import type { Value } from '../value.js';
import { axisAttr, knownInts, req, requireIndexType, requireInts, sameDType, shapeContents } from './infer-helpers.js';

defineOp({
  opType: 'Reshape',
  attrs: { allowzero: 'int' },
  differentiableInputs: [0],
  infer(inputs) {
    const x = req(inputs, 0, 'data');
    const target = shapeContents(req(inputs, 1, 'shape'), () => freshDim('r'));
    const out: Dim[] = target.map((d, i) => (d === 0 ? (x.shape[i] ?? fail(`shape[${i}] = 0 copies a dim the input lacks`)) : d));
    const minus = out.filter((d) => d === -1).length;
    if (minus > 1) throw new Error('at most one -1 in the target shape');
    if (out.some((d) => typeof d === 'number' && d < -1)) throw new Error(`bad target shape [${target.join(', ')}]`);
    const inN = staticNumel(x.shape);
    if (minus === 1) {
      const known = staticNumel(out.filter((d) => d !== -1));
      const i = out.indexOf(-1);
      if (inN !== undefined && known !== undefined) {
        if (known === 0 || inN % known !== 0) throw new Error(`cannot reshape ${inN} elements to [${target.join(', ')}]`);
        out[i] = inN / known;
      } else {
        out[i] = freshDim('r');
      }
    } else {
      const outN = staticNumel(out);
      if (inN !== undefined && outN !== undefined && inN !== outN) {
        throw new Error(`cannot reshape ${inN} elements to [${out.join(', ')}] (${outN} elements)`);
      }
    }
    return [{ dtype: x.dtype, shape: out }];
  },
});

defineOp({
  opType: 'Transpose',
  attrs: { perm: 'ints' },
  differentiableInputs: [0],
  infer(inputs, attrs) {
    const x = req(inputs, 0, 'data');
    const perm = (attrs.perm as number[] | undefined) ?? x.shape.map((_, i) => x.rank - 1 - i);
    if (perm.length !== x.rank || [...perm].sort((a, b) => a - b).some((p, i) => p !== i)) {
      throw new Error(`perm [${perm.join(', ')}] is not a permutation of ${x.rank} axes`);
    }
    return [{ dtype: x.dtype, shape: perm.map((p) => x.shape[p]!) }];
  },
});

defineOp({
  opType: 'Concat',
  attrs: { axis: 'int' },
  differentiableInputs: 'all',
  infer(inputs, attrs) {
    const xs = inputs.map((_, i) => req(inputs, i, `input ${i}`));
    if (xs.length === 0) throw new Error('Concat needs at least one input');
    const dtype = sameDType(xs);
    const rank = xs[0]!.rank;
    const axis = normAxis(attrs.axis as number, rank);
    let total: Dim = 0;
    for (const x of xs) {
      if (x.rank !== rank) throw new Error('all inputs must have the same rank');
      x.shape.forEach((d, i) => {
        const d0 = xs[0]!.shape[i]!;
        if (i !== axis && typeof d === 'number' && typeof d0 === 'number' && d !== d0) throw new Error(`dim ${i} differs: ${d0} vs ${d}`);
      });
      const d = x.shape[axis]!;
      total = typeof total === 'number' && typeof d === 'number' ? total + d : freshDim('cat');
    }
    const shape = [...xs[0]!.shape];
    shape[axis] = total;
    const symbolic = rank === 1 && xs.every((x) => x.symbolic) ? xs.flatMap((x) => x.symbolic!) : undefined;
    return [{ dtype, shape, symbolic }];
  },
});

defineOp({
  opType: 'Split',
  attrs: { axis: 'int', num_outputs: 'int' },
  differentiableInputs: [0],
  infer(inputs, attrs) {
    const x = req(inputs, 0, 'input');
    const axis = axisAttr(attrs, x.rank);
    const d = x.shape[axis]!;
    let sizes: Dim[];
    const splitIn = inputs[1];
    if (splitIn) {
      sizes = shapeContents(splitIn, () => freshDim('split'));
    } else {
      const n = attrs.num_outputs as number;
      if (!n) throw new Error('Split needs split sizes or num_outputs');
      if (typeof d !== 'number' || d % n !== 0) throw new Error(`cannot split dim ${d} into ${n} equal parts`);
      sizes = Array(n).fill(d / n);
    }
    const total = sizes.every((s) => typeof s === 'number') ? (sizes as number[]).reduce((a, b) => a + b, 0) : undefined;
    if (typeof d === 'number' && total !== undefined && total !== d) throw new Error(`split sizes [${sizes.join(', ')}] do not sum to ${d}`);
    return sizes.map((s) => {
      const shape = [...x.shape];
      shape[axis] = s;
      return { dtype: x.dtype, shape };
    });
  },
});

defineOp({
  opType: 'Slice',
  attrs: {},
  differentiableInputs: [0],
  infer(inputs) {
    const x = req(inputs, 0, 'data');
    const starts = requireInts(req(inputs, 1, 'starts'), 'starts');
    const ends = requireInts(req(inputs, 2, 'ends'), 'ends');
    const axes = inputs[3] ? requireInts(inputs[3], 'axes') : starts.map((_, i) => i);
    const steps = inputs[4] ? requireInts(inputs[4], 'steps') : starts.map(() => 1);
    const shape = [...x.shape];
    axes.forEach((a0, i) => {
      const a = normAxis(a0, x.rank);
      const d = x.shape[a]!;
      const step = steps[i]!;
      if (step === 0) throw new Error('slice step 0');
      if (typeof d !== 'number') {
        shape[a] = starts[i] === 0 && ends[i]! >= 2 ** 31 - 1 && step === 1 ? d : freshDim('s');
        return;
      }
      const clampIdx = (v: number, lo: number, hi: number) => Math.min(Math.max(v < 0 ? v + d : v, lo), hi);
      const [lo, hi] = step > 0 ? [0, d] : [-1, d - 1];
      const s = clampIdx(starts[i]!, lo, hi);
      const e = clampIdx(ends[i]!, lo, hi);
      shape[a] = Math.max(0, Math.ceil((e - s) / step));
    });
    return [{ dtype: x.dtype, shape }];
  },
});

defineOp({
  opType: 'Squeeze',
  attrs: {},
  differentiableInputs: [0],
  infer(inputs) {
    const x = req(inputs, 0, 'data');
    const axes = inputs[1] ? requireInts(inputs[1], 'axes').map((a) => normAxis(a, x.rank)) : x.shape.flatMap((d, i) => (d === 1 ? [i] : []));
    for (const a of axes) if (x.shape[a] !== 1 && typeof x.shape[a] === 'number') throw new Error(`cannot squeeze axis ${a} of size ${x.shape[a]}`);
    return [{ dtype: x.dtype, shape: x.shape.filter((_, i) => !axes.includes(i)) }];
  },
});

defineOp({
  opType: 'Unsqueeze',
  attrs: {},
  differentiableInputs: [0],
  infer(inputs) {
    const x = req(inputs, 0, 'data');
    const rank = x.rank + requireInts(req(inputs, 1, 'axes'), 'axes').length;
    const axes = requireInts(inputs[1], 'axes').map((a) => normAxis(a, rank));
    const shape: Dim[] = [];
    let j = 0;
    for (let i = 0; i < rank; i++) shape.push(axes.includes(i) ? 1 : x.shape[j++]!);
    return [{ dtype: x.dtype, shape, symbolic: x.rank === 0 && x.symbolic ? x.symbolic : undefined }];
  },
});

defineOp({
  opType: 'Expand',
  attrs: {},
  differentiableInputs: [0],
  infer(inputs) {
    const x = req(inputs, 0, 'input');
    const target = shapeContents(req(inputs, 1, 'shape'), () => freshDim('e'));
    return [{ dtype: x.dtype, shape: broadcastShapes(x.shape, target) }];
  },
});

defineOp({
  opType: 'Shape',
  attrs: {},
  differentiableInputs: [],
  infer(inputs) {
    const x = req(inputs, 0, 'data');
    return [{ dtype: 'int64', shape: [x.rank], symbolic: [...x.shape] }];
  },
});

defineOp({
  opType: 'ConstantOfShape',
  attrs: { value: 'tensor' },
  differentiableInputs: [],
  infer(inputs, attrs) {
    const s = req(inputs, 0, 'input');
    requireIndexType(s, 'shape');
    const value = attrs.value as HostTensor | undefined;
    return [{ dtype: value?.dtype ?? 'float32', shape: shapeContents(s, () => freshDim('c')) }];
  },
});

defineOp({
  opType: 'Range',
  attrs: {},
  differentiableInputs: [],
  infer(inputs) {
    const xs = [0, 1, 2].map((i) => req(inputs, i, ['start', 'limit', 'delta'][i]));
    const dtype = sameDType(xs);
    const [s, l, d] = xs.map((v) => knownInts(v)?.[0]);
    const n = s !== undefined && l !== undefined && d !== undefined ? Math.max(0, Math.ceil((l - s) / d)) : freshDim('range');
    return [{ dtype, shape: [n] }];
  },
});

function fail(msg: string): never {
  throw new Error(msg);
}

// ---- builders -------------------------------------------------------------

/** Reshape to `shape` (0 copies the input dim, -1 is inferred), or to the runtime contents of an int64 tensor. */
export function reshape(x: Value, shape: readonly number[] | Value): Value {
  const s = Array.isArray(shape) ? x.graph.ints(shape) : (shape as Value);
  return x.graph.apply('Reshape', [x, s])[0]!;
}

export function transpose(x: Value, perm: number[]): Value {
  return x.graph.apply('Transpose', [x], { perm })[0]!;
}

export function concat(xs: Value[], axis: number): Value {
  if (xs.length === 1) return xs[0]!;
  return xs[0]!.graph.apply('Concat', xs, { axis })[0]!;
}

/** Splits along `axis` into pieces of the given sizes (numbers, or an int64 tensor of sizes). */
export function split(x: Value, sizes: number[] | Value, axis = 0): Value[] {
  const g = x.graph;
  return g.apply('Split', [x, Array.isArray(sizes) ? g.ints(sizes) : sizes], { axis });
}

/** data[starts:ends:steps] along `axes` (ONNX Slice; ends clamp, negatives count from the end). */
export function slice(x: Value, starts: number[], ends: number[], axes?: number[], steps?: number[]): Value {
  const g = x.graph;
  const inputs = [x, g.ints(starts), g.ints(ends), axes ? g.ints(axes) : null, steps ? g.ints(steps) : null];
  while (inputs[inputs.length - 1] === null) inputs.pop();
  return g.apply('Slice', inputs)[0]!;
}

export function squeeze(x: Value, axes: number[]): Value {
  return x.graph.apply('Squeeze', [x, x.graph.ints(axes)])[0]!;
}

export function unsqueeze(x: Value, axes: number[]): Value {
  return x.graph.apply('Unsqueeze', [x, x.graph.ints(axes)])[0]!;
}

export function expand(x: Value, shape: readonly number[] | Value): Value {
  const s = Array.isArray(shape) ? x.graph.ints(shape) : (shape as Value);
  return x.graph.apply('Expand', [x, s])[0]!;
}

/** The runtime shape of `x` as a 1-D int64 tensor (its contents stay known symbolically). */
export function shapeOf(x: Value): Value {
  return x.graph.apply('Shape', [x])[0]!;
}

/** A tensor of the runtime shape `shape` filled with `value`. */
export function constantOfShape(shape: Value, value: number, dtype: DType): Value {
  const g = shape.graph;
  const v = g.scalar(value, dtype).constData!;
  return g.apply('ConstantOfShape', [shape], { value: { dtype: v.dtype, shape: [1], data: v.data } as HostTensor })[0]!;
}

/** Zeros with the runtime shape and dtype of `x`. */
export function zerosLike(x: Value): Value {
  return constantOfShape(shapeOf(x), 0, x.dtype);
}

export function range(start: Value, limit: Value, delta: Value): Value {
  return start.graph.apply('Range', [start, limit, delta])[0]!;
}
