import { ONNX_DTYPE_CODE, type DType } from '../dtype.js';
import { type Dim, formatShape, normAxis } from '../shape.js';
import type { Value } from '../value.js';

/** The input at `i`, or an error naming it when it is missing. */
export function req(inputs: readonly (Value | null)[], i: number, what = `input ${i}`): Value {
  const v = inputs[i];
  if (!v) throw new Error(`${what} is required`);
  return v;
}

/** Known integer contents of a 1-D or scalar int tensor (a constant or a Shape result), if all are numbers. */
export function knownInts(v: Value | null | undefined): number[] | undefined {
  if (!v?.symbolic) return undefined;
  return v.symbolic.every((d) => typeof d === 'number') ? (v.symbolic as number[]) : undefined;
}

/** Known integer contents, or an error saying the op needs them at trace time. */
export function requireInts(v: Value | null | undefined, what: string): number[] {
  const ints = knownInts(v);
  if (!ints) throw new Error(`${what} must be a constant known at trace time`);
  return ints;
}

export function sameDType(values: readonly Value[], what = 'inputs'): DType {
  const d = values[0]!.dtype;
  for (const v of values) {
    if (v.dtype !== d) throw new Error(`${what} must share one dtype, got ${values.map((x) => x.dtype).join(' and ')}`);
  }
  return d;
}

export function requireFloat(v: Value, what = 'input'): void {
  if (!['float32', 'float64', 'float16', 'bfloat16'].includes(v.dtype)) {
    throw new Error(`${what} must be floating point, got ${v.dtype}`);
  }
}

/** The op's `axis` attribute (`dflt` when absent), normalised against `rank` (an error when out of range). */
export function axisAttr(attrs: Readonly<Record<string, unknown>>, rank: number, dflt = 0): number {
  return normAxis((attrs.axis as number | undefined) ?? dflt, rank);
}

export function requireIndexType(v: Value, what = 'indices'): void {
  if (v.dtype !== 'int64' && v.dtype !== 'int32') throw new Error(`${what} must be int64 or int32, got ${v.dtype}`);
}

export function requireRank(v: Value, rank: number, what = 'input'): void {
  if (v.rank !== rank) throw new Error(`${what} must have rank ${rank}, got ${formatShape(v.shape)}`);
}

const CODE_TO_DTYPE = new Map<number, DType>(Object.entries(ONNX_DTYPE_CODE).map(([k, c]) => [c, k as DType]));

export function dtypeFromCode(code: number): DType {
  const d = CODE_TO_DTYPE.get(code);
  if (!d) throw new Error(`unsupported ONNX data type code ${code}`);
  return d;
}

/** Dims of a tensor whose contents describe a shape: known symbolically, else fresh names of a static length. */
export function shapeContents(v: Value, fresh: () => Dim): Dim[] {
  if (v.symbolic) return [...v.symbolic];
  const n = v.shape[0];
  if (v.rank !== 1 || typeof n !== 'number') throw new Error(`shape tensor must be 1-D of static length, got ${formatShape(v.shape)}`);
  return Array.from({ length: n }, fresh);
}
