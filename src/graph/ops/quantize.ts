/**
 * QuantizeLinear / DequantizeLinear (opset 21): int8, uint8 and FP8
 * (E4M3FN = type 17, E5M2 = type 19); per-tensor (scalar scale) or per-axis
 * (1-D scale along `axis`).
 */
import type { DType } from '../dtype.js';
import { hostTensor } from '../host-tensor.js';
import { defineOp } from '../op-schema.js';
import { normAxis } from '../shape.js';
import type { Value } from '../value.js';
import { dtypeFromCode, req, requireFloat } from './infer-helpers.js';

export type QuantDType = 'int8' | 'uint8' | 'float8e4m3fn' | 'float8e5m2';
const QUANT_DTYPES: readonly DType[] = ['int8', 'uint8', 'float8e4m3fn', 'float8e5m2'];

function checkScale(x: Value, scale: Value, axis: number | undefined): void {
  if (scale.rank === 0) return;
  if (scale.rank !== 1) throw new Error(`scale must be a scalar (per-tensor) or 1-D (per-axis), got rank ${scale.rank}`);
  const a = normAxis(axis ?? 1, x.rank);
  const d = x.shape[a];
  if (typeof d === 'number' && typeof scale.shape[0] === 'number' && d !== scale.shape[0]) {
    throw new Error(`per-axis scale has ${scale.shape[0]} entries but axis ${a} has size ${d}`);
  }
}

defineOp({
  opType: 'QuantizeLinear',
  attrs: { axis: 'int', saturate: 'int', block_size: 'int', output_dtype: 'int' },
  differentiableInputs: [],
  infer(inputs, attrs) {
    const x = req(inputs, 0, 'x');
    const scale = req(inputs, 1, 'y_scale');
    requireFloat(x, 'x');
    checkScale(x, scale, attrs.axis as number | undefined);
    const zp = inputs[2];
    const dtype = zp ? zp.dtype : attrs.output_dtype ? dtypeFromCode(attrs.output_dtype as number) : 'uint8';
    if (!QUANT_DTYPES.includes(dtype)) throw new Error(`cannot quantize to ${dtype}`);
    return [{ dtype, shape: x.shape }];
  },
});

defineOp({
  opType: 'DequantizeLinear',
  attrs: { axis: 'int', block_size: 'int' },
  differentiableInputs: [1],
  infer(inputs, attrs) {
    const x = req(inputs, 0, 'x');
    const scale = req(inputs, 1, 'x_scale');
    if (!QUANT_DTYPES.includes(x.dtype) && x.dtype !== 'int32') throw new Error(`cannot dequantize ${x.dtype}`);
    requireFloat(scale, 'x_scale');
    checkScale(x, scale, attrs.axis as number | undefined);
    return [{ dtype: scale.dtype, shape: x.shape }];
  },
});

/** A zero point of `dtype` with the scale's shape (all zeros: symmetric quantisation). */
function zeroPoint(g: Value['graph'], dtype: QuantDType, scale: Value): Value {
  const n = scale.rank === 0 ? 1 : (scale.shape[0] as number);
  const shape = scale.rank === 0 ? [] : [n];
  return g.constant(dtype === 'int8' ? hostTensor('int8', shape, new Int8Array(n)) : hostTensor(dtype, shape, new Uint8Array(n)));
}

/** round(x / scale) saturated to `dtype` (per-tensor when `scale` is a scalar, else per-axis along `axis`). */
export function quantizeLinear(x: Value, scale: Value, dtype: QuantDType, axis = 1): Value {
  const g = x.graph;
  const attrs: Record<string, number> = scale.rank === 1 ? { axis } : {};
  if (scale.rank === 1 && typeof scale.shape[0] !== 'number') throw new Error('per-axis scale needs a static length');
  return g.apply('QuantizeLinear', [x, scale, zeroPoint(g, dtype, scale)], attrs)[0]!;
}

/** q · scale, back to the scale's float dtype. */
export function dequantizeLinear(q: Value, scale: Value, axis = 1): Value {
  return q.graph.apply('DequantizeLinear', [q, scale], scale.rank === 1 ? { axis } : {})[0]!;
}
