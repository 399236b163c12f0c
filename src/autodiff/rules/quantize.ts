/** VJP rule of DequantizeLinear with respect to its scale (y = (q − zero point)·scale). */
import * as op from '../../graph/ops/index.js';
import { normAxis } from '../../graph/shape.js';
import { defineVjp } from '../vjp-registry.js';

defineVjp('DequantizeLinear', ({ inputs: [q, scale, zeroPoint], attrs, outGrads: [gy] }) => {
  const axis = normAxis((attrs.axis as number | undefined) ?? 1, q!.rank);
  let qf = op.cast(q!, scale!.dtype);
  if (zeroPoint) {
    // y = (q - zp)·scale; a per-axis zero point [C] is aligned with `axis` of q.
    const zp = op.cast(zeroPoint, scale!.dtype);
    qf = op.sub(qf, zeroPoint.rank === 1 ? op.reshape(zp, [-1, ...Array<number>(q!.rank - axis - 1).fill(1)]) : zp);
  }
  const prod = op.mul(gy!, qf); // dy/dscale = q - zp
  if (scale!.rank === 0) return [null, op.reduceSum(prod)];
  const others = [...Array(q!.rank).keys()].filter((i) => i !== axis);
  return [null, op.reduceSum(prod, others)];
});
