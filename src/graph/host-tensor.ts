import { allocHostArray, type DType, type DTypeArrays, type HostArray } from './dtype.js';

/** A concrete tensor in host memory: a dtype, a static shape and a flat row-major array. */
export interface HostTensor<D extends DType = DType> {
  dtype: D;
  shape: number[];
  data: DTypeArrays[D];
}

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Builds a host tensor, checking that the array length matches the shape. */
export function hostTensor<D extends DType>(dtype: D, shape: number[], data: DTypeArrays[D]): HostTensor<D> {
  const n = numel(shape);
  if (data.length !== n) {
    throw new Error(`hostTensor: ${dtype} data has ${data.length} elements but shape [${shape.join(', ')}] needs ${n}`);
  }
  return { dtype, shape: [...shape], data };
}

export function zerosHost<D extends DType>(dtype: D, shape: number[]): HostTensor<D> {
  return { dtype, shape: [...shape], data: allocHostArray(dtype, numel(shape)) as DTypeArrays[D] };
}

/** Converts a host array element to a JS number (bigint for int64 is narrowed). */
export function elementAsNumber(data: HostArray, i: number): number {
  const v = data[i];
  return typeof v === 'bigint' ? Number(v) : (v as number);
}
