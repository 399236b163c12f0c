/** Indexing ops: Gather, GatherElements, GatherND, ScatterND, ScatterElements, NonZero. */
import { defineOp } from '../op-schema.js';
import { freshDim, type Dim } from '../shape.js';
import type { Value } from '../value.js';
import { axisAttr, knownInts, req, requireIndexType, sameDType } from './infer-helpers.js';

const REDUCTIONS = ['none', 'add', 'mul', 'max', 'min'];

/**
 * Inputs data (0), indices (1) and, with `updates`, updates (2) of the same
 * dtype as data. Indices must be int64 with `int64Only` (the ND ops), else int64 or int32.
 */
function dataAndIndices(
  inputs: readonly (Value | null)[],
  o: { int64Only?: boolean; updates?: boolean } = {},
): { data: Value; idx: Value; upd: Value | null } {
  const data = req(inputs, 0, 'data');
  const idx = req(inputs, 1, 'indices');
  const upd = o.updates ? req(inputs, 2, 'updates') : null;
  if (!o.int64Only) requireIndexType(idx);
  else if (idx.dtype !== 'int64') throw new Error(`indices must be int64, got ${idx.dtype}`);
  if (upd) sameDType([data, upd], 'data and updates');
  return { data, idx, upd };
}

/** The `reduction` attribute must be one ONNX knows (default 'none'). */
function checkReduction(attrs: Record<string, unknown>): void {
  if (!REDUCTIONS.includes((attrs.reduction as string | undefined) ?? 'none')) throw new Error(`bad reduction ${String(attrs.reduction)}`);
}

defineOp({
  opType: 'Gather',
  attrs: { axis: 'int' },
  differentiableInputs: [0],
  infer(inputs, attrs) {
    const { data, idx } = dataAndIndices(inputs);
    const axis = axisAttr(attrs, data.rank);
    const shape: Dim[] = [...data.shape.slice(0, axis), ...idx.shape, ...data.shape.slice(axis + 1)];
    const known = knownInts(idx);
    const symbolic = data.symbolic && data.rank === 1 && known ? known.map((i) => data.symbolic![i < 0 ? i + data.symbolic!.length : i]!) : undefined;
    return [{ dtype: data.dtype, shape, symbolic }];
  },
});

defineOp({
  opType: 'GatherElements',
  attrs: { axis: 'int' },
  differentiableInputs: [0],
  infer(inputs, attrs) {
    const { data, idx } = dataAndIndices(inputs);
    axisAttr(attrs, data.rank);
    if (idx.rank !== data.rank) throw new Error('indices must have the rank of data');
    return [{ dtype: data.dtype, shape: idx.shape }];
  },
});

defineOp({
  opType: 'GatherND',
  attrs: { batch_dims: 'int' },
  differentiableInputs: [0],
  infer(inputs, attrs) {
    const { data, idx } = dataAndIndices(inputs, { int64Only: true });
    if (attrs.batch_dims) throw new Error('batch_dims > 0 is not supported');
    const k = idx.shape[idx.rank - 1];
    if (typeof k !== 'number' || k > data.rank) throw new Error(`last indices dim must be static and ≤ data rank, got ${k}`);
    return [{ dtype: data.dtype, shape: [...idx.shape.slice(0, -1), ...data.shape.slice(k)] }];
  },
});

defineOp({
  opType: 'ScatterND',
  attrs: { reduction: 'string' },
  differentiableInputs: [0, 2],
  infer(inputs, attrs) {
    const { data, idx, upd } = dataAndIndices(inputs, { int64Only: true, updates: true });
    checkReduction(attrs);
    const k = idx.shape[idx.rank - 1];
    if (typeof k !== 'number') throw new Error('last indices dim must be static');
    const want = [...idx.shape.slice(0, -1), ...data.shape.slice(k)];
    if (upd!.rank !== want.length) throw new Error(`updates must have shape [${want.join(', ')}]`);
    return [{ dtype: data.dtype, shape: data.shape }];
  },
});

defineOp({
  opType: 'ScatterElements',
  attrs: { axis: 'int', reduction: 'string' },
  differentiableInputs: [0, 2],
  infer(inputs, attrs) {
    const { data, idx, upd } = dataAndIndices(inputs, { updates: true });
    axisAttr(attrs, data.rank);
    if (idx.rank !== data.rank || upd!.rank !== data.rank) throw new Error('data, indices and updates must have one rank');
    checkReduction(attrs);
    return [{ dtype: data.dtype, shape: data.shape }];
  },
});

defineOp({
  opType: 'NonZero',
  attrs: {},
  differentiableInputs: [],
  infer(inputs) {
    const x = req(inputs, 0, 'X');
    return [{ dtype: 'int64', shape: [x.rank, freshDim('nnz')] }];
  },
});

// ---- builders -------------------------------------------------------------

export function gather(data: Value, indices: Value, axis = 0): Value {
  return data.graph.apply('Gather', [data, indices], { axis })[0]!;
}

export function gatherElements(data: Value, indices: Value, axis = 0): Value {
  return data.graph.apply('GatherElements', [data, indices], { axis })[0]!;
}

export function gatherND(data: Value, indices: Value): Value {
  return data.graph.apply('GatherND', [data, indices])[0]!;
}

export type ScatterReduction = 'none' | 'add';

/** Copy of `data` with `updates` written (or added) at the index tuples in `indices` [..., k]. */
export function scatterND(data: Value, indices: Value, updates: Value, reduction: ScatterReduction = 'none'): Value {
  return data.graph.apply('ScatterND', [data, indices, updates], reduction === 'none' ? {} : { reduction })[0]!;
}

/** Copy of `data` with `updates` written (or added) at `indices` along `axis`. */
export function scatterElements(data: Value, indices: Value, updates: Value, axis = 0, reduction: ScatterReduction = 'none'): Value {
  const attrs: Record<string, number | string> = { axis };
  if (reduction !== 'none') attrs.reduction = reduction;
  return data.graph.apply('ScatterElements', [data, indices, updates], attrs)[0]!;
}

/** Indices of non-zero elements, [rank, count] int64. */
export function nonZero(x: Value): Value {
  return x.graph.apply('NonZero', [x])[0]!;
}
