/** VJP rules of MatMul and Gemm. */
import * as op from '../../graph/ops/index.js';
import type { Value } from '../../graph/value.js';
import { sumToShape } from '../broadcast-grad.js';
import { defineVjp } from '../vjp-registry.js';

/** Swaps the last two axes. */
function transposeLast2(x: Value): Value {
  const perm = [...Array(x.rank).keys()];
  perm[x.rank - 2] = x.rank - 1;
  perm[x.rank - 1] = x.rank - 2;
  return op.transpose(x, perm);
}

defineVjp('MatMul', ({ inputs: [a0, b0], outGrads: [gy0] }) => {
  const a = a0!;
  const b = b0!;
  // Lift 1-D operands to matrices, as numpy matmul does: a [K] → [1, K], b [K] → [K, 1].
  const a2 = a.rank === 1 ? op.unsqueeze(a, [0]) : a; // [..., M, K]
  const b2 = b.rank === 1 ? op.unsqueeze(b, [1]) : b; // [..., K, N]
  let gy = gy0!;
  if (b.rank === 1) gy = op.unsqueeze(gy, [gy.rank]); // [..., M?, 1]
  if (a.rank === 1) gy = op.unsqueeze(gy, [gy.rank - 1]); // [..., 1, N]
  const da2 = op.matmul(gy, transposeLast2(b2)); // [..., M, K]
  // A matrix b [K, N] shared by every batch row of a [..., M, K] (a linear
  // layer's weight): its gradient is one product over all R = Π batch · M
  // rows, reshape(a, [R, K])ᵀ · reshape(gy, [R, N]), instead of a batched
  // product [..., K, N] summed over the batch. Same sum; one large GEMM in
  // place of many K×M×N ones and a ReduceSum that took 15% of a training step.
  const da = a.rank === 1 ? op.squeeze(sumToShape(da2, a2.shape), [0]) : sumToShape(da2, a.shape);
  const [k, n] = b.shape;
  if (b.rank === 2 && a.rank > 2 && typeof k === 'number' && typeof n === 'number') {
    return [da, op.gemm(op.reshape(a, [-1, k]), op.reshape(gy, [-1, n]), null, { transA: true })]; // [K, N], see above
  }
  const db2 = op.matmul(transposeLast2(a2), gy); // [..., K, N]
  const db = b.rank === 1 ? op.squeeze(sumToShape(db2, b2.shape), [1]) : sumToShape(db2, b.shape);
  return [da, db];
});

defineVjp('Gemm', ({ inputs: [a, b, c], attrs, outGrads: [gy] }) => {
  const alpha = (attrs.alpha as number | undefined) ?? 1;
  const beta = (attrs.beta as number | undefined) ?? 1;
  const tA = !!attrs.transA;
  const tB = !!attrs.transB;
  // Y = α·op(A)·op(B) + β·C
  const da = tA
    ? op.gemm(b!, gy!, null, { alpha, transA: tB, transB: true }) // (gy·op(B)ᵀ)ᵀ = op(B)·gyᵀ
    : op.gemm(gy!, b!, null, { alpha, transB: !tB }); // gy·op(B)ᵀ
  const db = tB
    ? op.gemm(gy!, a!, null, { alpha, transA: true, transB: tA }) // (op(A)ᵀ·gy)ᵀ = gyᵀ·op(A)
    : op.gemm(a!, gy!, null, { alpha, transA: !tA }); // op(A)ᵀ·gy
  // beta is a float32 attribute: scale by the value the forward used, not the unrounded number.
  const dc = c ? sumToShape(beta === 1 ? gy! : op.mul(gy!, Math.fround(beta)), c.shape) : null;
  return [da, db, dc];
});
