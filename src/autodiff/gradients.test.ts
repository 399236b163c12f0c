/**
 * Gradient tests: every differentiable op in the graph op set has a VJP rule
 * and at least one case here that compares it against central finite
 * differences (see gradcheck.ts), including broadcasting cases; plus
 * behaviour tests of `gradients` itself.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { emitModel } from '../graph/emit-onnx.js';
import { Graph } from '../graph/graph.js';
import { hostTensor } from '../graph/host-tensor.js';
import { allOpSchemas } from '../graph/op-schema.js';
import * as op from '../graph/ops/index.js';
import { zerosInit } from '../graph/param-init.js';
import type { Value } from '../graph/value.js';
import { erf, gelu as geluExact } from '../moe/reference.js'; // float64 erf and exact GELU
import { Session } from '../runtime/session.js';
import { gradcheck, init, type GradCheckCase, type GradCheckResult, type InputSpec } from '../runtime/gradcheck.js';
import { gradients } from './gradients.js';
import { vjpOpTypes } from './vjp-registry.js';

// ---- constants used inside cases ------------------------------------------

const i64 = (g: Graph, shape: number[], xs: number[]): Value => g.constant(hostTensor('int64', shape, BigInt64Array.from(xs.map(BigInt))));
const bools = (g: Graph, shape: number[], xs: number[]): Value => g.constant(hostTensor('bool', shape, Uint8Array.from(xs)));
const int8s = (g: Graph, shape: number[], xs: number[]): Value => g.constant(hostTensor('int8', shape, Int8Array.from(xs)));

// ---- float64 references for ops ORT cannot run in float64 -----------------

const geluTanh = (x: number): number => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
const mapRef = (f: (x: number) => number) => (xs: Float64Array[]) => xs[0]!.map(f);

/** y = q·scale with scale per tensor (scalar) or per `axis` of a row-major [d0, d1, ...] q. */
function dequantRef(q: number[], shape: number[], axis: number | null) {
  return (xs: Float64Array[]) => {
    const scale = xs[0]!;
    const inner = shape.slice((axis ?? 0) + 1).reduce((a, b) => a * b, 1);
    return q.map((v, j) => v * (axis === null ? scale[0]! : scale[Math.floor(j / inner) % shape[axis]!]!));
  };
}

// ---- the cases -------------------------------------------------------------

type Case = GradCheckCase;
const spec = (shape: number[], initFn?: InputSpec['init'], extra: Partial<InputSpec> = {}): InputSpec => ({ shape, init: initFn, ...extra });
const pos = init.positive();
const awayZero = init.awayFrom([0], 0.1);

/** Gradient cases per op type; every case's graph must contain its op. */
export const GRAD_CASES: Record<string, Case[]> = {
  Add: [
    { name: 'same shape [2,3]', inputs: [spec([2, 3]), spec([2, 3])], build: (_g, [a, b]) => op.add(a!, b!) },
    { name: 'broadcast [2,3] + [3]', inputs: [spec([2, 3]), spec([3])], build: (_g, [a, b]) => op.add(a!, b!) },
    { name: 'broadcast [2,3,4] + [4] (leading-axes sum)', inputs: [spec([2, 3, 4]), spec([4])], build: (_g, [a, b]) => op.add(a!, b!) },
    { name: 'broadcast [2,3,4] + [1,1,4] (leading-axes sum, keepdims)', inputs: [spec([2, 3, 4]), spec([1, 1, 4])], build: (_g, [a, b]) => op.add(a!, b!) },
    {
      name: 'broadcast [n,t,4] + [4] (leading-axes sum over runtime dims)',
      inputs: [spec([2, 3, 4], undefined, { dims: ['n', 't', 4] }), spec([4])],
      build: (_g, [a, b]) => op.add(a!, b!),
    },
    { name: 'broadcast [2,1,3] + [4,1]', inputs: [spec([2, 1, 3]), spec([4, 1])], build: (_g, [a, b]) => op.add(a!, b!) },
    { name: 'scalar + [2,3]', inputs: [spec([]), spec([2, 3])], build: (_g, [a, b]) => op.add(a!, b!) },
  ],
  Sub: [
    { name: 'same shape [2,3]', inputs: [spec([2, 3]), spec([2, 3])], build: (_g, [a, b]) => op.sub(a!, b!) },
    { name: 'broadcast [3,1] - [1,4]', inputs: [spec([3, 1]), spec([1, 4])], build: (_g, [a, b]) => op.sub(a!, b!) },
    { name: 'broadcast [] - [2,3]', inputs: [spec([]), spec([2, 3])], build: (_g, [a, b]) => op.sub(a!, b!) },
  ],
  Mul: [
    { name: 'same shape [2,3]', inputs: [spec([2, 3]), spec([2, 3])], build: (_g, [a, b]) => op.mul(a!, b!) },
    { name: 'broadcast [2,3,2] * [3,1]', inputs: [spec([2, 3, 2]), spec([3, 1])], build: (_g, [a, b]) => op.mul(a!, b!) },
    { name: 'broadcast [1,3] * [2,1]', inputs: [spec([1, 3]), spec([2, 1])], build: (_g, [a, b]) => op.mul(a!, b!) },
  ],
  Div: [
    { name: 'same shape [2,3]', inputs: [spec([2, 3]), spec([2, 3], init.signed())], build: (_g, [a, b]) => op.div(a!, b!) },
    { name: 'broadcast [2,3] / [2,1]', inputs: [spec([2, 3]), spec([2, 1], init.signed())], build: (_g, [a, b]) => op.div(a!, b!) },
    { name: 'broadcast [3] / [2,3]', inputs: [spec([3]), spec([2, 3], init.signed())], build: (_g, [a, b]) => op.div(a!, b!) },
  ],
  Pow: [
    { name: 'same shape [2,3]', inputs: [spec([2, 3], pos), spec([2, 3])], build: (_g, [a, b]) => op.pow(a!, b!) },
    { name: 'broadcast [2,3] ^ [3]', inputs: [spec([2, 3], pos), spec([3])], build: (_g, [a, b]) => op.pow(a!, b!) },
    { name: 'broadcast [2,1] ^ [1,3]', inputs: [spec([2, 1], pos), spec([1, 3])], build: (_g, [a, b]) => op.pow(a!, b!) },
    { name: 'broadcast [2,3] ^ scalar', inputs: [spec([2, 3], pos), spec([])], build: (_g, [a, b]) => op.pow(a!, b!) },
    {
      name: 'int64 exponent (gradient to the base only), negative base',
      inputs: [spec([2, 3])],
      build: (g, [a]) => op.pow(a!, i64(g, [3], [2, 3, 1])),
    },
    {
      name: 'float32 exponent of a float64 base (both get gradients)',
      inputs: [spec([2, 3], pos, { dtype: 'float64' }), spec([3], undefined, { dtype: 'float32' })],
      build: (_g, [a, b]) => op.pow(a!, b!),
      // y is float64, so only the float32 exponent's perturbation is quantised (the checker divides by the
      // stored step). h 1e-4 keeps truncation ~1e-8·|f'''| and rounding ~1e-12; the exponent's analytic
      // gradient is rounded to float32 (relative 6e-8): atol 1e-6 + rtol 1e-5 is ≥ 10× that.
      h: 1e-4,
      tol: { atol: 1e-6, rtol: 1e-5 },
    },
  ],
  Max: [
    {
      name: 'broadcast [2,3] vs [3]',
      inputs: [spec([2, 3], init.distinct(0.3, 0)), spec([3], init.distinct(0.3, 0.15))],
      build: (_g, [a, b]) => op.maximum(a!, b!),
    },
    {
      name: 'three inputs [2,3], [1,3], [2,1]',
      inputs: [spec([2, 3], init.distinct(0.3, 0)), spec([1, 3], init.distinct(0.3, 0.1)), spec([2, 1], init.distinct(0.3, 0.2))],
      build: (g, xs) => g.apply('Max', xs)[0]!,
    },
  ],
  Min: [
    {
      name: 'broadcast [2,3] vs [2,1]',
      inputs: [spec([2, 3], init.distinct(0.3, 0)), spec([2, 1], init.distinct(0.3, 0.15))],
      build: (_g, [a, b]) => op.minimum(a!, b!),
    },
    {
      name: 'three inputs [3], [2,3], []',
      inputs: [spec([3], init.distinct(0.3, 0)), spec([2, 3], init.distinct(0.3, 0.1)), spec([], init.distinct(0.3, 0.2))],
      build: (g, xs) => g.apply('Min', xs)[0]!,
    },
  ],
  Neg: [{ name: '[2,3]', inputs: [spec([2, 3])], build: (_g, [x]) => op.neg(x!) }],
  Sqrt: [{ name: 'positive [2,3]', inputs: [spec([2, 3], pos)], build: (_g, [x]) => op.sqrt(x!) }],
  Reciprocal: [{ name: 'away from 0 [2,3]', inputs: [spec([2, 3], init.signed())], build: (_g, [x]) => op.reciprocal(x!) }],
  Exp: [{ name: '[2,3]', inputs: [spec([2, 3])], build: (_g, [x]) => op.exp(x!) }],
  Log: [{ name: 'positive [2,3]', inputs: [spec([2, 3], pos)], build: (_g, [x]) => op.log(x!) }],
  Tanh: [{ name: '[2,3]', inputs: [spec([2, 3])], build: (_g, [x]) => op.tanh(x!) }],
  Erf: [{ name: '[2,3]', inputs: [spec([2, 3])], build: (_g, [x]) => op.erf(x!), reference: mapRef(erf) }],
  Sigmoid: [{ name: '[2,3]', inputs: [spec([2, 3])], build: (_g, [x]) => op.sigmoid(x!) }],
  Relu: [{ name: 'away from the kink [2,3]', inputs: [spec([2, 3], awayZero)], build: (_g, [x]) => op.relu(x!) }],
  Identity: [{ name: '[2,3]', inputs: [spec([2, 3])], build: (_g, [x]) => op.identity(x!) }],
  Gelu: [
    { name: "approximate 'none' [2,4]", inputs: [spec([2, 4], init.normal(1.5))], build: (_g, [x]) => op.gelu(x!), reference: mapRef(geluExact) },
    { name: "approximate 'tanh' [2,4]", inputs: [spec([2, 4], init.normal(1.5))], build: (_g, [x]) => op.gelu(x!, 'tanh'), reference: mapRef(geluTanh) },
  ],
  Where: [
    {
      name: 'same shape [2,3]',
      inputs: [spec([2, 3]), spec([2, 3])],
      build: (g, [x, y]) => op.where(bools(g, [2, 3], [1, 0, 1, 0, 0, 1]), x!, y!),
    },
    {
      name: 'broadcast cond [2,1,3], x [3], y [2,1]',
      inputs: [spec([3]), spec([2, 1])],
      build: (g, [x, y]) => op.where(bools(g, [2, 1, 3], [1, 0, 1, 0, 1, 1]), x!, y!),
    },
    {
      name: 'broadcast cond [3], x [2,3], y scalar',
      inputs: [spec([2, 3]), spec([])],
      build: (g, [x, y]) => op.where(bools(g, [3], [0, 1, 0]), x!, y!),
    },
  ],
  Cast: [
    { name: 'float32 → float64', inputs: [spec([2, 3], undefined, { dtype: 'float32' })], build: (_g, [x]) => op.cast(x!, 'float64') },
    { name: 'float64 → float32', inputs: [spec([2, 3], undefined, { dtype: 'float64' })], build: (_g, [x]) => op.cast(x!, 'float32') },
  ],
  Clip: [
    { name: 'min and max', inputs: [spec([3, 4], init.awayFrom([-0.5, 0.5], 0.1))], build: (_g, [x]) => op.clip(x!, -0.5, 0.5) },
    { name: 'min only', inputs: [spec([2, 3], init.awayFrom([0.2], 0.1))], build: (_g, [x]) => op.clip(x!, 0.2) },
    { name: 'max only', inputs: [spec([2, 3], init.awayFrom([-0.2], 0.1))], build: (_g, [x]) => op.clip(x!, undefined, -0.2) },
  ],
  MatMul: [
    { name: '[2,3] @ [3,4]', inputs: [spec([2, 3]), spec([3, 4])], build: (_g, [a, b]) => op.matmul(a!, b!) },
    { name: 'batch broadcast [2,2,3] @ [3,2]', inputs: [spec([2, 2, 3]), spec([3, 2])], build: (_g, [a, b]) => op.matmul(a!, b!) },
    { name: 'shared matrix [2,3,2,3] @ [3,4]', inputs: [spec([2, 3, 2, 3]), spec([3, 4])], build: (_g, [a, b]) => op.matmul(a!, b!) },
    { name: 'batch broadcast [2,1,2,3] @ [3,3,2]', inputs: [spec([2, 1, 2, 3]), spec([3, 3, 2])], build: (_g, [a, b]) => op.matmul(a!, b!) },
    { name: '1-D lhs [3] @ [3,2]', inputs: [spec([3]), spec([3, 2])], build: (_g, [a, b]) => op.matmul(a!, b!) },
    { name: '1-D rhs [2,3] @ [3]', inputs: [spec([2, 3]), spec([3])], build: (_g, [a, b]) => op.matmul(a!, b!) },
    { name: '1-D both [3] @ [3]', inputs: [spec([3]), spec([3])], build: (_g, [a, b]) => op.matmul(a!, b!) },
    { name: '1-D lhs, batched rhs [3] @ [2,3,2]', inputs: [spec([3]), spec([2, 3, 2])], build: (_g, [a, b]) => op.matmul(a!, b!) },
    { name: 'batched lhs, 1-D rhs [2,2,3] @ [3]', inputs: [spec([2, 2, 3]), spec([3])], build: (_g, [a, b]) => op.matmul(a!, b!) },
  ],
  Gemm: [
    {
      name: 'alpha, beta, C [4] broadcast',
      inputs: [spec([2, 3]), spec([3, 4]), spec([4])],
      build: (_g, [a, b, c]) => op.gemm(a!, b!, c!, { alpha: 0.7, beta: 1.3 }),
    },
    { name: 'transA, C [2,4]', inputs: [spec([3, 2]), spec([3, 4]), spec([2, 4])], build: (_g, [a, b, c]) => op.gemm(a!, b!, c!, { transA: true }) },
    {
      name: 'transB, C [2,1] broadcast',
      inputs: [spec([2, 3]), spec([4, 3]), spec([2, 1])],
      build: (_g, [a, b, c]) => op.gemm(a!, b!, c!, { transB: true, beta: 0.5 }),
    },
    {
      name: 'transA and transB, scalar C',
      inputs: [spec([3, 2]), spec([4, 3]), spec([])],
      build: (_g, [a, b, c]) => op.gemm(a!, b!, c!, { transA: true, transB: true, alpha: -1.5 }),
    },
    { name: 'no C', inputs: [spec([2, 3]), spec([3, 2])], build: (_g, [a, b]) => op.gemm(a!, b!, null) },
  ],
  ReduceSum: [
    { name: 'axis 1, keepdims 1', inputs: [spec([2, 3, 2])], build: (_g, [x]) => op.reduceSum(x!, [1], true) },
    { name: 'axes [0,2], keepdims 0', inputs: [spec([2, 3, 2])], build: (_g, [x]) => op.reduceSum(x!, [0, 2], false) },
    { name: 'negative axes [-1,-3], keepdims 1', inputs: [spec([2, 3, 2])], build: (_g, [x]) => op.reduceSum(x!, [-1, -3], true) },
    { name: 'all axes, keepdims 0', inputs: [spec([2, 3])], build: (_g, [x]) => op.reduceSum(x!) },
    { name: 'empty axes with noop_with_empty_axes 1 (identity)', inputs: [spec([2, 3])], build: (g, [x]) => g.apply('ReduceSum', [x!, g.ints([])], { noop_with_empty_axes: 1 })[0]! },
    { name: 'empty axes without noop (all axes), keepdims 1', inputs: [spec([2, 3])], build: (g, [x]) => g.apply('ReduceSum', [x!, g.ints([])], { keepdims: 1 })[0]! },
    { name: 'symbolic batch dim, axis 0, keepdims 0', inputs: [spec([3, 2], undefined, { dims: ['batch', 2] })], build: (_g, [x]) => op.reduceSum(x!, [0]) },
  ],
  ReduceMean: [
    { name: 'axis -1, keepdims 0', inputs: [spec([2, 3, 2])], build: (_g, [x]) => op.reduceMean(x!, [-1], false) },
    { name: 'axes [0,1], keepdims 1', inputs: [spec([2, 3, 2])], build: (_g, [x]) => op.reduceMean(x!, [0, 1], true) },
    { name: 'all axes, keepdims 1', inputs: [spec([2, 3])], build: (g, [x]) => g.apply('ReduceMean', [x!], { keepdims: 1 })[0]! },
    { name: 'symbolic dims, axes [0,1], keepdims 0', inputs: [spec([3, 2, 2], undefined, { dims: ['batch', 'seq', 2] })], build: (_g, [x]) => op.reduceMean(x!, [0, 1]) },
  ],
  ReduceMax: [
    { name: 'axis 1, keepdims 1', inputs: [spec([2, 3, 2], init.distinct())], build: (_g, [x]) => op.reduceMax(x!, [1], true) },
    { name: 'axes [0,-1], keepdims 0', inputs: [spec([2, 3, 2], init.distinct())], build: (_g, [x]) => op.reduceMax(x!, [0, -1], false) },
    { name: 'all axes, keepdims 0', inputs: [spec([2, 3], init.distinct())], build: (_g, [x]) => op.reduceMax(x!) },
    { name: 'symbolic batch dim, axis -1, keepdims 0', inputs: [spec([3, 4], init.distinct(), { dims: ['batch', 4] })], build: (_g, [x]) => op.reduceMax(x!, [-1]) },
  ],
  Softmax: [
    { name: 'middle axis 1 of [2,3,2]', inputs: [spec([2, 3, 2])], build: (_g, [x]) => op.softmax(x!, 1) },
    { name: 'last axis of [2,4]', inputs: [spec([2, 4])], build: (_g, [x]) => op.softmax(x!) },
    { name: 'float32, last axis of [3,4]', inputs: [spec([3, 4])], build: (_g, [x]) => op.softmax(x!), dtype: 'float32' },
    { name: 'axis -3 (first) of [3,2,2]', inputs: [spec([3, 2, 2])], build: (_g, [x]) => op.softmax(x!, -3) },
  ],
  LogSoftmax: [
    { name: 'middle axis -2 of [2,3,2]', inputs: [spec([2, 3, 2])], build: (_g, [x]) => op.logSoftmax(x!, -2) },
    { name: 'last axis of [2,4]', inputs: [spec([2, 4])], build: (_g, [x]) => op.logSoftmax(x!) },
  ],
  CumSum: [
    { name: 'axis 0', inputs: [spec([3, 2])], build: (_g, [x]) => op.cumsum(x!, 0) },
    { name: 'axis 1, exclusive', inputs: [spec([2, 4])], build: (_g, [x]) => op.cumsum(x!, 1, { exclusive: true }) },
    { name: 'axis -1, reverse', inputs: [spec([2, 4])], build: (_g, [x]) => op.cumsum(x!, -1, { reverse: true }) },
    { name: 'axis 1 of [2,3,2], exclusive and reverse', inputs: [spec([2, 3, 2])], build: (_g, [x]) => op.cumsum(x!, 1, { exclusive: true, reverse: true }) },
  ],
  TopK: [
    { name: 'k 2, last axis, largest', inputs: [spec([3, 4], init.distinct())], build: (_g, [x]) => op.topk(x!, 2)[0] },
    { name: 'k 2, axis 0, smallest', inputs: [spec([3, 4], init.distinct())], build: (_g, [x]) => op.topk(x!, 2, { axis: 0, largest: false })[0] },
    { name: 'k 3 of 3 along middle axis', inputs: [spec([2, 3, 2], init.distinct())], build: (_g, [x]) => op.topk(x!, 3, { axis: 1 })[0] },
  ],
  LayerNormalization: [
    {
      name: 'last axis, scale and bias',
      inputs: [spec([2, 3, 4]), spec([4], init.normal(0.5, 1)), spec([4])],
      build: (_g, [x, s, b]) => op.layerNorm(x!, s!, b!),
    },
    {
      name: 'last two axes, scale and bias',
      inputs: [spec([2, 3, 4]), spec([3, 4], init.normal(0.5, 1)), spec([3, 4])],
      build: (_g, [x, s, b]) => op.layerNorm(x!, s!, b!, { axis: -2 }),
    },
    {
      name: 'last two axes, broadcast scale [1,4] and bias [4]',
      inputs: [spec([2, 3, 4]), spec([1, 4], init.normal(0.5, 1)), spec([4])],
      build: (_g, [x, s, b]) => op.layerNorm(x!, s!, b!, { axis: 1 }),
    },
    { name: 'last axis, scale only', inputs: [spec([3, 4]), spec([4], init.normal(0.5, 1))], build: (_g, [x, s]) => op.layerNorm(x!, s!, null) },
    {
      name: 'float32 (rule reuses the stashed Mean/InvStdDev), last two axes',
      inputs: [spec([2, 3, 4]), spec([3, 4], init.normal(0.5, 1)), spec([4])],
      build: (_g, [x, s, b]) => op.layerNorm(x!, s!, b!, { axis: -2 }),
      dtype: 'float32',
    },
    {
      name: 'symbolic batch dim, last axis',
      inputs: [spec([3, 4], undefined, { dims: ['batch', 4] }), spec([4], init.normal(0.5, 1)), spec([4])],
      build: (_g, [x, s, b]) => op.layerNorm(x!, s!, b!),
    },
  ],
  Reshape: [
    { name: '[2,3,2] → [3,4]', inputs: [spec([2, 3, 2])], build: (_g, [x]) => op.reshape(x!, [3, 4]) },
    { name: '[2,3,2] → [0,-1] (copy and infer)', inputs: [spec([2, 3, 2])], build: (_g, [x]) => op.reshape(x!, [0, -1]) },
    { name: 'symbolic batch dim → [-1]', inputs: [spec([3, 2], undefined, { dims: ['batch', 2] })], build: (_g, [x]) => op.reshape(x!, [-1]) },
  ],
  Transpose: [
    { name: 'perm [2,0,1]', inputs: [spec([2, 3, 4])], build: (_g, [x]) => op.transpose(x!, [2, 0, 1]) },
    { name: 'default perm (reverse)', inputs: [spec([2, 3, 2])], build: (g, [x]) => g.apply('Transpose', [x!])[0]! },
  ],
  Concat: [
    { name: 'three inputs along axis 1', inputs: [spec([2, 1]), spec([2, 3]), spec([2, 2])], build: (_g, xs) => op.concat(xs, 1) },
    { name: 'two inputs along axis -1 of rank 3', inputs: [spec([2, 2, 1]), spec([2, 2, 3])], build: (_g, xs) => op.concat(xs, -1) },
    { name: 'axis 0', inputs: [spec([1, 3]), spec([2, 3]), spec([1, 3])], build: (_g, xs) => op.concat(xs, 0) },
    {
      name: 'symbolic sizes along the axis',
      inputs: [spec([2, 3], undefined, { dims: ['a', 3] }), spec([1, 3], undefined, { dims: ['b', 3] }), spec([2, 3])],
      build: (_g, xs) => op.concat(xs, 0),
    },
  ],
  Split: [
    { name: 'uneven [2,3] along axis 0, only the second used', inputs: [spec([5, 2])], build: (_g, [x]) => op.split(x!, [2, 3], 0)[1]! },
    {
      name: 'uneven [1,2,3] along axis -1, first and last used',
      inputs: [spec([2, 6])],
      build: (_g, [x]) => {
        const [p0, , p2] = op.split(x!, [1, 2, 3], -1);
        return op.mul(p0!, p2!); // [2,1] * [2,3]
      },
    },
    {
      name: 'num_outputs 2 along axis 1, both used',
      inputs: [spec([2, 4])],
      build: (g, [x]) => {
        const [a, b] = g.apply('Split', [x!], { axis: 1, num_outputs: 2 });
        return op.sub(op.mul(a!, a!), b!);
      },
    },
  ],
  Slice: [
    { name: 'two axes', inputs: [spec([4, 5])], build: (_g, [x]) => op.slice(x!, [1, 0], [3, 5], [0, 1]) },
    { name: 'negative step on one axis', inputs: [spec([2, 5])], build: (_g, [x]) => op.slice(x!, [-1], [-6], [1], [-2]) },
    {
      name: 'negative and positive steps on multiple axes, negative axis',
      inputs: [spec([4, 3, 2])],
      build: (_g, [x]) => op.slice(x!, [3, 0, 1], [0, 100, -100], [0, -2, 2], [-1, 2, -1]),
    },
    { name: 'defaults (axes and steps omitted), ends clamped', inputs: [spec([3, 4])], build: (_g, [x]) => op.slice(x!, [1, -3], [10, 4]) },
    {
      name: 'symbolic dims, negative step',
      inputs: [spec([3, 4], undefined, { dims: ['batch', 'seq'] })],
      build: (_g, [x]) => op.slice(x!, [-1, 0], [0, 3], [1, 0], [-2, 1]),
    },
  ],
  Squeeze: [
    { name: 'axis 1 of [2,1,3]', inputs: [spec([2, 1, 3])], build: (_g, [x]) => op.squeeze(x!, [1]) },
    { name: 'negative axes [-1,0] of [1,3,1]', inputs: [spec([1, 3, 1])], build: (_g, [x]) => op.squeeze(x!, [-1, 0]) },
  ],
  Unsqueeze: [{ name: 'axes [0,-1] of [2,3]', inputs: [spec([2, 3])], build: (_g, [x]) => op.unsqueeze(x!, [0, -1]) }],
  Expand: [
    { name: 'broadcast [3,1] → [2,3,4]', inputs: [spec([3, 1])], build: (_g, [x]) => op.expand(x!, [2, 3, 4]) },
    { name: 'broadcast [1] → [2,3]', inputs: [spec([1])], build: (_g, [x]) => op.expand(x!, [2, 3]) },
    { name: '[2,1] with target [1,3] (both broadcast)', inputs: [spec([2, 1])], build: (_g, [x]) => op.expand(x!, [1, 3]) },
    { name: 'broadcast scalar → [2,2]', inputs: [spec([])], build: (_g, [x]) => op.expand(x!, [2, 2]) },
    { name: 'to the runtime shape of a symbolic input', inputs: [spec([1, 3]), spec([2, 3], undefined, { dims: ['batch', 3] })], build: (_g, [x, y]) => op.mul(op.expand(x!, op.shapeOf(y!)), y!) },
  ],
  Gather: [
    { name: 'axis 0, repeated indices', inputs: [spec([3, 4])], build: (g, [x]) => op.gather(x!, i64(g, [3], [0, 2, 0]), 0) },
    { name: 'axis 1, 2-D repeated indices', inputs: [spec([2, 3, 2])], build: (g, [x]) => op.gather(x!, i64(g, [2, 2], [1, 1, 0, 2]), 1) },
    { name: 'axis -1, scalar index', inputs: [spec([2, 3])], build: (g, [x]) => op.gather(x!, i64(g, [], [2]), -1) },
    { name: 'axis 0, negative indices', inputs: [spec([4, 2])], build: (g, [x]) => op.gather(x!, i64(g, [3], [-1, 1, -1]), 0) },
    { name: 'axis 1, int32 indices', inputs: [spec([2, 4])], build: (g, [x]) => op.gather(x!, g.constant(hostTensor('int32', [2], Int32Array.of(3, 3))), 1) },
    { name: 'axis 1 of a symbolic batch', inputs: [spec([3, 4], undefined, { dims: ['batch', 4] })], build: (g, [x]) => op.gather(x!, i64(g, [3], [1, 3, 1]), 1) },
  ],
  GatherElements: [
    { name: 'axis 0, repeated indices', inputs: [spec([3, 4])], build: (g, [x]) => op.gatherElements(x!, i64(g, [2, 4], [0, 2, 2, 1, 0, 2, 1, 1]), 0) },
    { name: 'axis -1, repeated indices', inputs: [spec([2, 3])], build: (g, [x]) => op.gatherElements(x!, i64(g, [2, 4], [2, 2, 0, 1, 1, 1, 0, 0]), -1) },
  ],
  GatherND: [
    { name: 'full index tuples, repeated', inputs: [spec([3, 4])], build: (g, [x]) => op.gatherND(x!, i64(g, [3, 2], [0, 1, 2, 3, 0, 1])) },
    { name: 'slices along axis 0, repeated', inputs: [spec([3, 2, 2])], build: (g, [x]) => op.gatherND(x!, i64(g, [2, 2, 1], [2, 0, 2, 1])) },
  ],
  ScatterND: [
    {
      name: "reduction 'none', row slices",
      inputs: [spec([4, 3]), spec([2, 3])],
      build: (g, [d, u]) => op.scatterND(d!, i64(g, [2, 1], [1, 3]), u!),
    },
    {
      name: "reduction 'none', elements",
      inputs: [spec([3, 3]), spec([3])],
      build: (g, [d, u]) => op.scatterND(d!, i64(g, [3, 2], [0, 1, 2, 2, 1, 0]), u!),
    },
    {
      name: "reduction 'add', repeated rows",
      inputs: [spec([4, 3]), spec([3, 3])],
      build: (g, [d, u]) => op.scatterND(d!, i64(g, [3, 1], [1, 3, 1]), u!, 'add'),
    },
    {
      name: "reduction 'add', repeated elements",
      inputs: [spec([2, 3]), spec([4])],
      build: (g, [d, u]) => op.scatterND(d!, i64(g, [4, 2], [0, 1, 1, 2, 0, 1, 0, 0]), u!, 'add'),
    },
  ],
  ScatterElements: [
    {
      name: "reduction 'none', axis 0",
      inputs: [spec([3, 3]), spec([2, 3])],
      build: (g, [d, u]) => op.scatterElements(d!, i64(g, [2, 3], [0, 2, 1, 2, 0, 0]), u!, 0),
    },
    {
      name: "reduction 'none', axis -1",
      inputs: [spec([2, 4]), spec([2, 2])],
      build: (g, [d, u]) => op.scatterElements(d!, i64(g, [2, 2], [3, 0, 1, 2]), u!, -1),
    },
    {
      name: "reduction 'add', axis 1, repeated indices",
      inputs: [spec([2, 3]), spec([2, 3])],
      build: (g, [d, u]) => op.scatterElements(d!, i64(g, [2, 3], [1, 1, 0, 2, 2, 2]), u!, 1, 'add'),
    },
  ],
  DequantizeLinear: [
    {
      name: 'per-tensor int8, w.r.t. the scale',
      inputs: [spec([], pos)],
      build: (g, [s]) => op.dequantizeLinear(int8s(g, [2, 3], [-128, -5, 0, 7, 100, 127]), s!),
      reference: dequantRef([-128, -5, 0, 7, 100, 127], [2, 3], null),
    },
    {
      name: 'per-axis (axis 1) int8, w.r.t. the scale',
      inputs: [spec([3], pos)],
      build: (g, [s]) => op.dequantizeLinear(int8s(g, [2, 3], [3, -7, 12, -128, 64, 127]), s!, 1),
      reference: dequantRef([3, -7, 12, -128, 64, 127], [2, 3], 1),
    },
    {
      name: 'per-axis (axis 0) int8 of rank 3, w.r.t. the scale',
      inputs: [spec([2], pos)],
      build: (g, [s]) => op.dequantizeLinear(int8s(g, [2, 2, 2], [1, -2, 3, -4, 5, -6, 7, -8]), s!, 0),
      reference: dequantRef([1, -2, 3, -4, 5, -6, 7, -8], [2, 2, 2], 0),
    },
    {
      name: 'per-axis uint8 with a non-zero zero point, w.r.t. the scale',
      inputs: [spec([3], pos)],
      build: (g, [s]) =>
        g.apply('DequantizeLinear', [g.constant(hostTensor('uint8', [2, 3], Uint8Array.of(0, 128, 255, 10, 200, 129))), s!, g.constant(hostTensor('uint8', [3], Uint8Array.of(128, 100, 129)))], {
          axis: 1,
        })[0]!,
      reference: dequantRef([0 - 128, 128 - 100, 255 - 129, 10 - 128, 200 - 100, 129 - 129], [2, 3], 1),
    },
  ],
};

// ---- the tests -------------------------------------------------------------

const results: (GradCheckResult & { opType: string })[] = [];

describe('gradient coverage', () => {
  it('every differentiable op has a VJP rule and a gradient test; non-differentiable ops have no test', () => {
    const rules = new Set(vjpOpTypes());
    const schemas = allOpSchemas();
    const known = new Set(schemas.map((s) => s.opType));
    const problems: string[] = [];
    for (const s of schemas) {
      const differentiable = s.differentiableInputs === 'all' || s.differentiableInputs.length > 0;
      if (differentiable) {
        if (!rules.has(s.opType)) problems.push(`${s.opType} has differentiable inputs but no VJP rule`);
        if (!GRAD_CASES[s.opType]?.length) problems.push(`${s.opType} has differentiable inputs but no gradient test in GRAD_CASES`);
      } else if (s.opType in GRAD_CASES) {
        problems.push(`${s.opType} is not differentiable (differentiableInputs = []) but has gradient tests`);
      }
    }
    for (const t of Object.keys(GRAD_CASES)) if (!known.has(t)) problems.push(`GRAD_CASES has ${t}, which is not in the op set`);
    for (const t of rules) if (!known.has(t)) problems.push(`VJP rule for ${t}, which is not in the op set`);
    expect(problems).toEqual([]);
    expect(schemas.length).toBeGreaterThan(40);
  });

  it('every broadcasting op has a broadcasting case', () => {
    const broadcasting = ['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Max', 'Min', 'Where', 'MatMul', 'Gemm', 'Expand'];
    const missing = broadcasting.filter((t) => !GRAD_CASES[t]?.some((c) => /broadcast/.test(c.name)));
    expect(missing).toEqual([]);
  });
});

describe.each(Object.entries(GRAD_CASES))('gradcheck %s', (opType, cases) => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const r = await gradcheck({ ...c, name: `${opType}: ${c.name}` });
    results.push({ ...r, opType });
    expect(r.opTypes, `the case's graph must contain a ${opType} node`).toContain(opType);
    expect(r.checked).toBeGreaterThan(0);
    for (const inp of r.inputs) {
      // Guards against vacuous cases: each checked input must actually influence the loss.
      expect(inp.maxAbsFd, `input ${inp.index} has an all-zero finite-difference gradient`).toBeGreaterThan(1e-3);
    }
  });
});

afterAll(() => {
  if (!process.env.GRADCHECK_REPORT) return;
  const lines = results.map(
    (r) =>
      `${r.name.padEnd(72)} ${r.dtype} fd=${r.fdSource} h=${r.h} maxAbs=${r.maxAbsErr.toExponential(2)} maxRel=${r.maxRelErr.toExponential(2)} ` +
      `tolUsed=${(r.worstRatio * 100).toFixed(2)}%${r.fallbackReason ? ` fallback: ${r.fallbackReason}` : ''}`,
  );
  console.log(lines.join('\n'));
});

// ---- behaviour of gradients() ---------------------------------------------

async function runGraph(g: Graph, outputs: Record<string, Value>, feeds: Record<string, Float64Array>): Promise<Record<string, number[]>> {
  const model = emitModel(g, { outputs: Object.entries(outputs).map(([name, value]) => ({ name, value })) });
  const s = await Session.create(model, { threads: 1 });
  try {
    const hostFeeds = Object.fromEntries(
      Object.entries(feeds).map(([name, data]) => [name, hostTensor('float64', [...(g.inputs.find((v) => v.name === name) ?? g.params.get(name)!.value).shape] as number[], data)]),
    );
    const out = await s.run(hostFeeds);
    return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, Array.from(v.data as ArrayLike<number>)]));
  } finally {
    await s.release();
  }
}

describe('gradients()', () => {
  const xData = Float64Array.of(0.5, -1.25, 2, 3.5, -0.75, 1);

  it('sums the gradients of a value used twice: d/dx Σ x·x = 2x', async () => {
    const g = new Graph('twice');
    const x = g.input('x', 'float64', [2, 3]);
    const [gx] = gradients(op.reduceSum(op.mul(x, x)), [x]);
    expect(gx).not.toBeNull();
    const out = await runGraph(g, { gx: gx! }, { x: xData });
    expect(out.gx).toEqual(Array.from(xData, (v) => 2 * v));
  });

  it('sums contributions through different paths (x·x + x through a broadcast add)', async () => {
    await gradcheck({
      name: 'value used three times',
      inputs: [{ shape: [2, 3] }, { shape: [3] }],
      build: (_g, [x, b]) => op.add(op.mul(x!, op.add(x!, b!)), op.tanh(x!)),
    });
  });

  it('gives null for a parameter the loss does not depend on', async () => {
    // buildTrainingGraph (training-graph.ts) turns a null gradient into a zero
    // gradient, so an unused parameter is still updated (e.g. by weight decay)
    // and keeps its optimizer state. Callers that need a tensor can do the same:
    const g = new Graph('unused');
    const x = g.input('x', 'float64', [2, 3]);
    const w = g.param('w', [2, 3], zerosInit, 'float64');
    const unused = g.param('unused', [4], zerosInit, 'float64');
    const loss = op.reduceSum(op.mul(x, w));
    const [gw, gUnused, gx] = gradients(loss, [w, unused, x]);
    expect(gw).not.toBeNull();
    expect(gx).not.toBeNull();
    expect(gUnused).toBeNull();
    const zeros = gUnused ?? op.zerosLike(unused);
    const out = await runGraph(g, { gw: gw!, zeros }, { x: xData, w: new Float64Array(6), unused: new Float64Array(4) });
    expect(out.gw).toEqual(Array.from(xData));
    expect(out.zeros).toEqual([0, 0, 0, 0]);
  });

  it('gives null when the loss depends on the value only through integer outputs (TopK indices)', () => {
    const g = new Graph('topk-indices');
    const x = g.input('x', 'float64', [2, 4]);
    const [, indices] = op.topk(x, 2);
    const loss = op.reduceSum(op.cast(indices, 'float64'));
    expect(gradients(loss, [x])).toEqual([null]);
  });

  it('gives null through argmax via Equal (bool), and only the float path through a mixed use', async () => {
    const g = new Graph('argmax');
    const x = g.input('x', 'float64', [2, 3]);
    const onehot = op.cast(op.equal(x, op.reduceMax(x, [1], true)), 'float64'); // [2,3] one-hot of argmax
    const [gNone] = gradients(op.reduceSum(op.mul(onehot, g.scalar(3, 'float64'))), [x]);
    expect(gNone).toBeNull();
    // Σ onehot·x = Σ max: the gradient is the one-hot mask (through x, not through Equal).
    const [gx] = gradients(op.reduceSum(op.mul(onehot, x)), [x]);
    const out = await runGraph(g, { gx: gx! }, { x: xData });
    expect(out.gx).toEqual([0, 0, 1, 1, 0, 0]);
  });

  it('gives no gradient through a float → int → float Cast', () => {
    const g = new Graph('int-cast');
    const x = g.input('x', 'float64', [3]);
    const loss = op.reduceSum(op.cast(op.cast(x, 'int64'), 'float64'));
    expect(gradients(loss, [x])).toEqual([null]);
  });

  it('rejects a non-scalar loss without a seed, and accepts it with one', async () => {
    const g = new Graph('seed');
    const x = g.input('x', 'float64', [2, 3]);
    const y = op.mul(op.exp(x), 2);
    expect(() => gradients(y, [x])).toThrow(/must be a scalar.*pass a seed/);
    const seed = g.input('seed', 'float64', [2, 3]);
    const [gx] = gradients(y, [x], { seed });
    const seedData = Float64Array.of(1, 2, 3, -1, 0, 0.5);
    const out = await runGraph(g, { gx: gx! }, { x: xData, seed: seedData });
    out.gx!.forEach((v, i) => expect(v).toBeCloseTo(2 * Math.exp(xData[i]!) * seedData[i]!, 12));
  });

  it('rejects an integer loss', () => {
    const g = new Graph('int-loss');
    const x = g.input('x', 'float64', [3]);
    expect(() => gradients(op.reduceSum(op.cast(x, 'int64')), [x])).toThrow(/carries no gradient/);
  });
});

describe('gradcheck', () => {
  it('reports a mismatch, naming the case, ops, input and element', async () => {
    // At Relu's kink the one-sided rule (gradient 0 at x = 0) and the central
    // difference (½) disagree: a stand-in for a wrong rule.
    await expect(
      gradcheck({
        name: 'relu at its kink',
        inputs: [{ shape: [2, 2], init: init.values([0.25, 0, -2, 3]) }],
        build: (_g, [x]) => op.relu(x!),
        dtype: 'float64',
      }),
    ).rejects.toThrow(/relu at its kink \[ops Relu\].*1 of 4 gradient elements mismatch.*input 0 float64\[2, 2\] element \[0, 1\] \(x = 0\): analytic 0 vs finite difference -?\d/s);
  });

  it('falls back to float32 when ORT has no float64 kernel, and says why', async () => {
    const r = await gradcheck({ name: 'erf fallback', inputs: [{ shape: [3] }], build: (_g, [x]) => op.erf(x!), reference: mapRef(erf) });
    if (r.dtype === 'float32') {
      expect(r.fallbackReason).toMatch(/Erf|implementation|double/i);
      expect(r.fdSource).not.toBe('ort-float32'); // differences still come from float64
    } else {
      expect(r.fallbackReason).toBeUndefined();
    }
  });

  it('is deterministic for a given case name (seeded data)', async () => {
    const c: GradCheckCase = { name: 'seeded', inputs: [{ shape: [2, 2] }], build: (_g, [x]) => op.tanh(x!) };
    const [a, b] = [await gradcheck(c), await gradcheck(c)];
    expect(a.maxAbsErr).toBe(b.maxAbsErr);
  });
});
