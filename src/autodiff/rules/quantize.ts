/** VJP rule of DequantizeLinear with respect to its scale (y = q·scale). */
import * as op from '../../graph/ops/index.js';
import { normAxis } from '../../graph/shape.js';
import { defineVjp } from '../vjp-registry.js';

defineVjp('DequantizeLinear', ({ inputs: [q, scale], attrs, outGrads: [gy] }) => {
  const qf = op.cast(q!, scale!.dtype); // zero points are 0 in mixmodal's symmetric scheme
  const prod = op.mul(gy!, qf); // dy/dscale = q
  if (scale!.rank === 0) return [null, op.reduceSum(prod)];
  const axis = normAxis((attrs.axis as number | undefined) ?? 1, q!.rank);
  const others = [...Array(q!.rank).keys()].filter((i) => i !== axis);
  return [null, op.reduceSum(prod, others)];
});
