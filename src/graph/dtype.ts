/**
 * Element types a tensor can have, with their ONNX TensorProto codes and the
 * typed array that holds them on the host.
 *
 * FP8 codes 17 (E4M3FN) and 19 (E5M2) are written as numbers because the
 * `onnx-proto` enum predates them.
 */
export type DType =
  | 'float32'
  | 'float64'
  | 'float16'
  | 'bfloat16'
  | 'int64'
  | 'int32'
  | 'int8'
  | 'uint8'
  | 'bool'
  | 'float8e4m3fn'
  | 'float8e5m2';

/** ONNX TensorProto.DataType code of each dtype. */
export const ONNX_DTYPE_CODE: Record<DType, number> = {
  float32: 1,
  uint8: 2,
  int8: 3,
  int32: 6,
  int64: 7,
  bool: 9,
  float16: 10,
  float64: 11,
  bfloat16: 16,
  float8e4m3fn: 17,
  float8e5m2: 19,
};

/** Bytes per element. */
export const DTYPE_BYTES: Record<DType, number> = {
  float32: 4,
  float64: 8,
  float16: 2,
  bfloat16: 2,
  int64: 8,
  int32: 4,
  int8: 1,
  uint8: 1,
  bool: 1,
  float8e4m3fn: 1,
  float8e5m2: 1,
};

/** Host storage for each dtype (16-bit and 8-bit floats are kept as raw bits). */
export interface DTypeArrays {
  float32: Float32Array;
  float64: Float64Array;
  float16: Uint16Array;
  bfloat16: Uint16Array;
  int64: BigInt64Array;
  int32: Int32Array;
  int8: Int8Array;
  uint8: Uint8Array;
  bool: Uint8Array;
  float8e4m3fn: Uint8Array;
  float8e5m2: Uint8Array;
}

export type HostArray = DTypeArrays[DType];

export const FLOAT_DTYPES: ReadonlySet<DType> = new Set<DType>([
  'float32',
  'float64',
  'float16',
  'bfloat16',
]);

/** True for dtypes that carry gradients (floating point, not FP8 storage types). */
export function isDifferentiableDType(dtype: DType): boolean {
  return FLOAT_DTYPES.has(dtype);
}

export function isDType(x: unknown): x is DType {
  return typeof x === 'string' && Object.prototype.hasOwnProperty.call(ONNX_DTYPE_CODE, x);
}

/** Allocates a zero-filled host array of `n` elements for `dtype`. */
export function allocHostArray(dtype: DType, n: number): HostArray {
  switch (dtype) {
    case 'float32':
      return new Float32Array(n);
    case 'float64':
      return new Float64Array(n);
    case 'float16':
    case 'bfloat16':
      return new Uint16Array(n);
    case 'int64':
      return new BigInt64Array(n);
    case 'int32':
      return new Int32Array(n);
    case 'int8':
      return new Int8Array(n);
    case 'uint8':
    case 'bool':
    case 'float8e4m3fn':
    case 'float8e5m2':
      return new Uint8Array(n);
  }
}
