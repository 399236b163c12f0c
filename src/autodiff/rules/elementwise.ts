/** VJP rules of the elementwise ops. Broadcast inputs get their gradient summed back to their shape. */
import { isDifferentiableDType } from '../../graph/dtype.js';
import * as op from '../../graph/ops/index.js';
import type { Value } from '../../graph/value.js';
import { sumToShape } from '../broadcast-grad.js';
import { defineVjp } from '../vjp-registry.js';

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

defineVjp('Add', ({ inputs: [a, b], outGrads: [gy] }) => [sumToShape(gy!, a!.shape), sumToShape(gy!, b!.shape)]);

defineVjp('Sub', ({ inputs: [a, b], outGrads: [gy] }) => [sumToShape(gy!, a!.shape), sumToShape(op.neg(gy!), b!.shape)]);

defineVjp('Mul', ({ inputs: [a, b], outGrads: [gy] }) => [
  sumToShape(op.mul(gy!, b!), a!.shape), // d(ab)/da = b
  sumToShape(op.mul(gy!, a!), b!.shape), // d(ab)/db = a
]);

defineVjp('Div', ({ inputs: [a, b], outputs: [y], outGrads: [gy] }) => [
  sumToShape(op.div(gy!, b!), a!.shape), // 1/b
  sumToShape(op.neg(op.div(op.mul(gy!, y!), b!)), b!.shape), // -a/b² = -y/b
]);

defineVjp('Pow', ({ inputs: [a, b], outputs: [y], outGrads: [gy] }) => {
  const bf = op.cast(b!, a!.dtype);
  const da = op.mul(gy!, op.mul(bf, op.pow(a!, op.sub(bf, 1)))); // b·a^(b-1)
  // a^b·ln a, summed in a's precision and cast to b's float dtype; an integer exponent gets none.
  const db = isDifferentiableDType(b!.dtype) ? op.cast(sumToShape(op.mul(gy!, op.mul(y!, op.log(a!))), b!.shape), b!.dtype) : null;
  return [sumToShape(da, a!.shape), db];
});

/** Max/Min: the gradient goes to the inputs equal to the result, split evenly between ties. */
function extremumVjp({ inputs, outputs: [y], outGrads: [gy] }: Parameters<Parameters<typeof defineVjp>[1]>[0]): (Value | null)[] {
  const masks = inputs.map((x) => op.cast(op.equal(x!, y!), y!.dtype)); // [..] 1 where x_i wins
  const count = masks.reduce((s, m) => op.add(s, m));
  const share = op.div(gy!, count);
  return inputs.map((x, i) => sumToShape(op.mul(share, masks[i]!), x!.shape));
}
defineVjp('Max', extremumVjp);
defineVjp('Min', extremumVjp);

defineVjp('Neg', ({ outGrads: [gy] }) => [op.neg(gy!)]);
defineVjp('Identity', ({ outGrads: [gy] }) => [gy!]);
defineVjp('Sqrt', ({ outputs: [y], outGrads: [gy] }) => [op.div(op.mul(gy!, 0.5), y!)]); // 1/(2√x)
defineVjp('Reciprocal', ({ outputs: [y], outGrads: [gy] }) => [op.neg(op.mul(gy!, op.mul(y!, y!)))]); // -1/x²
defineVjp('Exp', ({ outputs: [y], outGrads: [gy] }) => [op.mul(gy!, y!)]);
defineVjp('Log', ({ inputs: [x], outGrads: [gy] }) => [op.div(gy!, x!)]);
defineVjp('Tanh', ({ outputs: [y], outGrads: [gy] }) => [op.mul(gy!, op.sub(1, op.mul(y!, y!)))]); // 1 - tanh²
defineVjp('Sigmoid', ({ outputs: [y], outGrads: [gy] }) => [op.mul(gy!, op.mul(y!, op.sub(1, y!)))]); // σ(1-σ)
defineVjp('Relu', ({ inputs: [x], outGrads: [gy] }) => [op.where(op.greater(x!, 0), gy!, 0)]);
defineVjp('Erf', ({ inputs: [x], outGrads: [gy] }) => [
  op.mul(gy!, op.mul(op.exp(op.neg(op.mul(x!, x!))), TWO_OVER_SQRT_PI)), // 2/√π·e^(-x²)
]);

defineVjp('Gelu', ({ inputs: [x0], attrs, outGrads: [gy] }) => {
  const x = x0!;
  if ((attrs.approximate ?? 'none') === 'tanh') {
    // y = ½x(1 + tanh u), u = √(2/π)(x + 0.044715x³)
    const x2 = op.mul(x, x);
    const t = op.tanh(op.mul(op.mul(x, op.add(op.mul(x2, 0.044715), 1)), SQRT_2_OVER_PI));
    const du = op.mul(op.add(op.mul(x2, 3 * 0.044715), 1), SQRT_2_OVER_PI);
    const dy = op.add(op.mul(op.add(t, 1), 0.5), op.mul(op.mul(op.mul(x, 0.5), op.sub(1, op.mul(t, t))), du));
    return [op.mul(gy!, dy)];
  }
  // y = x·Φ(x)  ⇒  dy/dx = Φ(x) + x·φ(x)
  const cdf = op.mul(op.add(op.erf(op.mul(x, Math.SQRT1_2)), 1), 0.5);
  const pdf = op.mul(op.exp(op.mul(op.mul(x, x), -0.5)), INV_SQRT_2PI);
  return [op.mul(gy!, op.add(cdf, op.mul(x, pdf)))];
});

defineVjp('Where', ({ inputs: [c, x, y], outGrads: [gy] }) => [
  null,
  sumToShape(op.where(c!, gy!, 0), x!.shape),
  sumToShape(op.where(c!, 0, gy!), y!.shape),
]);

defineVjp('Cast', ({ inputs: [x], outGrads: [gy] }) => [op.cast(gy!, x!.dtype)]);

defineVjp('Clip', ({ inputs: [x, lo, hi], outGrads: [gy] }) => {
  let g = gy!;
  if (lo) g = op.where(op.less(x!, lo), 0, g); // clipped below: no gradient
  if (hi) g = op.where(op.greater(x!, hi), 0, g); // clipped above: no gradient
  return [g, null, null];
});
