/** Matrix products: MatMul (numpy matmul semantics, batched with broadcasting) and Gemm. */
import { defineOp } from '../op-schema.js';
import { broadcastShapes, type Dim } from '../shape.js';
import type { Value } from '../value.js';
import { req, requireRank, sameDType } from './infer-helpers.js';

function checkInner(k1: Dim, k2: Dim): void {
  if (typeof k1 === 'number' && typeof k2 === 'number' && k1 !== k2) {
    throw new Error(`inner dimensions differ: ${k1} vs ${k2}`);
  }
}

defineOp({
  opType: 'MatMul',
  attrs: {},
  differentiableInputs: [0, 1],
  infer(inputs) {
    const a = req(inputs, 0, 'A');
    const b = req(inputs, 1, 'B');
    const dtype = sameDType([a, b]);
    if (a.rank === 0 || b.rank === 0) throw new Error('MatMul inputs must have rank ≥ 1');
    const as = a.rank === 1 ? [1, a.shape[0]!] : a.shape;
    const bs = b.rank === 1 ? [b.shape[0]!, 1] : b.shape;
    checkInner(as[as.length - 1]!, bs[bs.length - 2]!);
    const batch = broadcastShapes(as.slice(0, -2), bs.slice(0, -2));
    const shape: Dim[] = [...batch];
    if (a.rank !== 1) shape.push(as[as.length - 2]!);
    if (b.rank !== 1) shape.push(bs[bs.length - 1]!);
    return [{ dtype, shape }];
  },
});

defineOp({
  opType: 'Gemm',
  attrs: { alpha: 'float', beta: 'float', transA: 'int', transB: 'int' },
  differentiableInputs: [0, 1, 2],
  infer(inputs, attrs) {
    const a = req(inputs, 0, 'A');
    const b = req(inputs, 1, 'B');
    requireRank(a, 2, 'A');
    requireRank(b, 2, 'B');
    const dtype = sameDType(inputs.filter((x): x is Value => !!x));
    const [m, k1] = attrs.transA ? [a.shape[1]!, a.shape[0]!] : [a.shape[0]!, a.shape[1]!];
    const [k2, n] = attrs.transB ? [b.shape[1]!, b.shape[0]!] : [b.shape[0]!, b.shape[1]!];
    checkInner(k1, k2);
    const c = inputs[2];
    if (c) broadcastShapes(c.shape, [m, n]);
    if (c && c.rank > 2) throw new Error('C must be unidirectionally broadcastable to [M, N]');
    return [{ dtype, shape: [m, n] }];
  },
});

export function matmul(a: Value, b: Value): Value {
  return a.graph.apply('MatMul', [a, b])[0]!;
}

export interface GemmOptions {
  alpha?: number;
  beta?: number;
  transA?: boolean;
  transB?: boolean;
}

/** alpha·op(A)·op(B) + beta·C, with op = transpose when asked. */
export function gemm(a: Value, b: Value, c: Value | null, o: GemmOptions = {}): Value {
  const attrs: Record<string, number> = {};
  if (o.alpha !== undefined) attrs.alpha = o.alpha;
  if (o.beta !== undefined) attrs.beta = o.beta;
  if (o.transA) attrs.transA = 1;
  if (o.transB) attrs.transB = 1;
  return a.graph.apply('Gemm', c ? [a, b, c] : [a, b], attrs)[0]!;
}
