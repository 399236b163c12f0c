/** Random ops: RandomUniformLike (noise with the shape of its input, e.g. router jitter). */
import { defineOp } from '../op-schema.js';
import { FLOAT_DTYPES, ONNX_DTYPE_CODE, type DType } from '../dtype.js';
import type { Value } from '../value.js';
import { dtypeFromCode, req } from './infer-helpers.js';

defineOp({
  opType: 'RandomUniformLike',
  attrs: { dtype: 'int', high: 'float', low: 'float', seed: 'float' },
  // The output depends on the input's shape only, never on its values.
  differentiableInputs: [],
  infer(inputs, attrs) {
    const x = req(inputs, 0, 'input');
    const dtype = attrs.dtype === undefined ? x.dtype : dtypeFromCode(attrs.dtype as number);
    if (!FLOAT_DTYPES.has(dtype)) throw new Error(`output dtype must be floating point, got ${dtype}`);
    const lo = (attrs.low as number | undefined) ?? 0;
    const hi = (attrs.high as number | undefined) ?? 1;
    if (!(hi >= lo)) throw new Error(`high (${hi}) must be ≥ low (${lo})`);
    return [{ dtype, shape: x.shape }];
  },
});

// ---- builders -------------------------------------------------------------

/**
 * Uniform noise in [low, high) with the runtime shape of `x` (and its dtype
 * unless `dtype` is given). Without a seed ONNX Runtime draws a fresh seed,
 * so each run gets new noise; with one, a session's stream is reproducible.
 */
export function randomUniformLike(x: Value, low: number, high: number, o: { dtype?: DType; seed?: number } = {}): Value {
  const attrs: Record<string, number> = { low, high };
  if (o.dtype) attrs.dtype = ONNX_DTYPE_CODE[o.dtype];
  if (o.seed !== undefined) attrs.seed = o.seed;
  return x.graph.apply('RandomUniformLike', [x], attrs)[0]!;
}
