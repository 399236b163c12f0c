/** VJP rules of reductions, softmax, CumSum, TopK and LayerNormalization. */
import * as op from '../../graph/ops/index.js';
import { normAxis } from '../../graph/shape.js';
import { dimProduct, expandReduced, reductionAxes, sumToShape } from '../broadcast-grad.js';
import { defineVjp, type VjpContext } from '../vjp-registry.js';

function reduceSetup({ inputs: [x, axesIn], attrs }: VjpContext) {
  const keep = (attrs.keepdims ?? 1) !== 0;
  const noop = !!attrs.noop_with_empty_axes && !!axesIn && (axesIn.symbolic?.length ?? 1) === 0;
  return { x: x!, axes: reductionAxes(x!, axesIn), keep, noop };
}

defineVjp('ReduceSum', (ctx) => {
  const { x, axes, keep, noop } = reduceSetup(ctx);
  const gy = ctx.outGrads[0]!;
  return [noop ? gy : expandReduced(gy, x, axes, keep), null];
});

defineVjp('ReduceMean', (ctx) => {
  const { x, axes, keep, noop } = reduceSetup(ctx);
  const gy = ctx.outGrads[0]!;
  return [noop ? gy : op.div(expandReduced(gy, x, axes, keep), dimProduct(x, axes)), null];
});

defineVjp('ReduceMax', (ctx) => {
  const { x, axes, keep, noop } = reduceSetup(ctx);
  const gy = ctx.outGrads[0]!;
  if (noop) return [gy, null];
  const y = expandReduced(ctx.outputs[0]!, x, axes, keep); // [x.shape]
  const mask = op.cast(op.equal(x, y), x.dtype); // 1 at the maxima
  const ties = op.reduceSum(mask, axes, true); // [.., 1, ..]
  return [op.mul(op.div(mask, ties), expandReduced(gy, x, axes, keep)), null];
});

defineVjp('Softmax', ({ outputs: [y], attrs, outGrads: [gy] }) => {
  const axis = (attrs.axis as number | undefined) ?? -1;
  const dot = op.reduceSum(op.mul(gy!, y!), [axis], true); // Σ_j gy_j·y_j
  return [op.mul(y!, op.sub(gy!, dot))];
});

defineVjp('LogSoftmax', ({ outputs: [y], attrs, outGrads: [gy] }) => {
  const axis = (attrs.axis as number | undefined) ?? -1;
  const total = op.reduceSum(gy!, [axis], true); // Σ_j gy_j
  return [op.sub(gy!, op.mul(op.exp(y!), total))];
});

defineVjp('CumSum', ({ inputs: [x, axis], attrs, outGrads: [gy] }) => {
  const a = (axis!.symbolic as number[])[0]!;
  return [op.cumsum(gy!, normAxis(a, x!.rank), { exclusive: !!attrs.exclusive, reverse: !attrs.reverse }), null];
});

defineVjp('TopK', ({ inputs: [x], outputs: [, indices], attrs, outGrads: [gValues] }) => {
  if (!gValues) return [null, null];
  const axis = normAxis((attrs.axis as number | undefined) ?? -1, x!.rank);
  return [op.scatterElements(op.zerosLike(x!), indices!, gValues, axis, 'add'), null];
});

// Y = (X - μ)·σ⁻¹·Scale + B over axes axis..end (Ba et al. 2016, "Layer Normalization").
defineVjp('LayerNormalization', ({ inputs: [x0, scale, bias], outputs: [, mean, invStd], attrs, outGrads: [gy0, gMean, gInv] }) => {
  if (gMean || gInv) throw new Error('gradients through LayerNormalization Mean/InvStdDev outputs are not supported');
  const x = x0!;
  const gy = gy0!;
  const axis = normAxis((attrs.axis as number | undefined) ?? -1, x.rank);
  const axes = [...Array(x.rank - axis).keys()].map((i) => i + axis);
  // The node's stashed statistics are float32; for other precisions recompute them exactly.
  const sameType = mean!.dtype === x.dtype;
  const mu = sameType ? mean! : op.reduceMean(x, axes, true); // [.., 1]
  const eps = (attrs.epsilon as number | undefined) ?? 1e-5;
  const rstd = sameType ? invStd! : op.reciprocal(op.sqrt(op.add(op.reduceMean(op.square(op.sub(x, mu)), axes, true), eps))); // [.., 1]
  const xhat = op.mul(op.sub(x, mu), rstd); // [x.shape]
  const gxhat = op.mul(gy, scale!); // [x.shape]
  const meanG = op.reduceMean(gxhat, axes, true); // [.., 1]
  const meanGx = op.reduceMean(op.mul(gxhat, xhat), axes, true); // [.., 1]
  const dx = op.mul(rstd, op.sub(op.sub(gxhat, meanG), op.mul(xhat, meanGx))); // [x.shape]
  const dScale = sumToShape(op.mul(gy, xhat), scale!.shape);
  const dBias = bias ? sumToShape(gy, bias.shape) : null;
  return [dx, dScale, dBias];
});
