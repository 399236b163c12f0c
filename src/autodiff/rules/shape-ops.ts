/** VJP rules of the data-movement ops. */
import * as op from '../../graph/ops/index.js';
import { normAxis } from '../../graph/shape.js';
import type { Value } from '../../graph/value.js';
import { dimProduct, shapeTensor, sumToShape } from '../broadcast-grad.js';
import { defineVjp } from '../vjp-registry.js';

const reshapeBack = ({ inputs: [x], outGrads: [gy] }: { inputs: readonly (Value | null)[]; outGrads: readonly (Value | null)[] }) => [
  op.reshape(gy!, shapeTensor(x!)),
  null,
];
defineVjp('Reshape', reshapeBack);
defineVjp('Squeeze', reshapeBack);
defineVjp('Unsqueeze', reshapeBack);

defineVjp('Transpose', ({ inputs: [x], attrs, outGrads: [gy] }) => {
  const perm = (attrs.perm as number[] | undefined) ?? [...Array(x!.rank).keys()].reverse();
  const inverse = perm.map((_, i) => perm.indexOf(i));
  return [op.transpose(gy!, inverse)];
});

defineVjp('Expand', ({ inputs: [x], outGrads: [gy] }) => [sumToShape(gy!, x!.shape), null]);

defineVjp('Concat', ({ inputs, attrs, outGrads: [gy] }) => {
  const axis = normAxis(attrs.axis as number, inputs[0]!.rank);
  const sizes = inputs.map((x) => x!.shape[axis]!);
  const sizeTensor = sizes.every((d) => typeof d === 'number')
    ? gy!.graph.ints(sizes as number[])
    : op.concat(inputs.map((x) => op.gather(op.shapeOf(x!), gy!.graph.ints([axis]))), 0);
  return op.split(gy!, sizeTensor, axis);
});

defineVjp('Split', ({ inputs: [x], outputs, attrs, outGrads }) => {
  const axis = normAxis((attrs.axis as number | undefined) ?? 0, x!.rank);
  const parts = outGrads.map((g, i) => g ?? op.zerosLike(outputs[i]!));
  return [op.concat(parts, axis), null];
});

/**
 * Slice: scatter the gradient back to the positions it was read from. The
 * positions come from slicing an iota tensor the same way, so any starts,
 * ends, axes and steps (negative too) are handled.
 */
defineVjp('Slice', ({ node, inputs: [x], outGrads: [gy] }) => {
  const g = x!.graph;
  const n = dimProduct(x!, [...Array(x!.rank).keys()]);
  const iota = op.reshape(op.range(g.scalar(0, 'int64'), op.cast(n, 'int64'), g.scalar(1, 'int64')), shapeTensor(x!)); // [x.shape]
  const picked = g.apply('Slice', [iota, ...node.inputs.slice(1)])[0]!; // [y.shape]
  const flat = op.scatterElements(
    op.reshape(op.zerosLike(x!), [-1]), // [N]
    op.reshape(picked, [-1]),
    op.reshape(gy!, [-1]),
    0,
    'add',
  );
  return [op.reshape(flat, shapeTensor(x!)), null, null, null, null];
});
