/** VJP rules of the gather/scatter family: gathers scatter-add back, scatters gather. */
import * as op from '../../graph/ops/index.js';
import { normAxis } from '../../graph/shape.js';
import type { Value } from '../../graph/value.js';
import { defineVjp } from '../vjp-registry.js';

/**
 * Rows `idx` (any shape S) of a zero [V, rest…] like `like`, with the rows of
 * `gy` [S…, rest…] added in: the gradient of Gather along axis 0. Built on
 * ScatterElements, not ScatterND: ONNX Runtime's ScatterND with
 * reduction 'add' loses updates to repeated indices when it runs on 2
 * threads (max error 9.3 on sums of ~85 N(0, 1) rows; ScatterElements
 * 1.4e-5, like 1 thread), see indexing.test.ts.
 */
function scatterAddRows(like: Value, idx: Value, gy: Value): Value {
  const zeros = op.reshape(op.zerosLike(like), [0, -1]); // [V, R]
  const rows = op.reshape(gy, op.concat([like.graph.ints([-1]), op.slice(op.shapeOf(zeros), [1], [2])], 0)); // [N, R]
  const index = op.expand(op.reshape(idx, [-1, 1]), op.shapeOf(rows)); // [N, R]
  return op.reshape(op.scatterElements(zeros, index, rows, 0, 'add'), op.shapeOf(like)); // [V, rest…]
}

defineVjp('Gather', ({ inputs: [data0, idx0], attrs, outGrads: [gy0] }) => {
  const data = data0!;
  const idx = op.cast(idx0!, 'int64');
  const axis = normAxis((attrs.axis as number | undefined) ?? 0, data.rank);
  const gy = gy0!; // [data[:axis], idx.shape, data[axis+1:]]
  if (axis === 0) return [scatterAddRows(data, idx, gy), null];
  // Move the gathered axis to the front, scatter, move it back.
  const dataPerm = [axis, ...[...Array(data.rank).keys()].filter((i) => i !== axis)];
  const idxAxes = [...Array(idx.rank).keys()].map((i) => i + axis);
  const gyPerm = [...idxAxes, ...[...Array(gy.rank).keys()].filter((i) => !idxAxes.includes(i))];
  const scattered = scatterAddRows(op.transpose(data, dataPerm), idx, op.transpose(gy, gyPerm)); // [data[axis], rest]
  return [op.transpose(scattered, dataPerm.map((_, i) => dataPerm.indexOf(i))), null];
});

defineVjp('GatherElements', ({ inputs: [data, idx], attrs, outGrads: [gy] }) => {
  const axis = (attrs.axis as number | undefined) ?? 0;
  return [op.scatterElements(op.zerosLike(data!), idx!, gy!, axis, 'add'), null];
});

// Still ScatterND 'add' (see scatterAddRows): no model graph differentiates a GatherND; a large one on 2 threads would need the same rewrite.
defineVjp('GatherND', ({ inputs: [data, idx], outGrads: [gy] }) => [op.scatterND(op.zerosLike(data!), idx!, gy!, 'add'), null]);

defineVjp('ScatterND', ({ inputs: [, idx, upd], attrs, outGrads: [gy] }) => {
  const reduction = (attrs.reduction as string | undefined) ?? 'none';
  const dUpd = op.gatherND(gy!, idx!);
  if (reduction === 'add') return [gy!, null, dUpd];
  if (reduction !== 'none') throw new Error(`no gradient for ScatterND with reduction ${reduction}`);
  return [op.scatterND(gy!, idx!, op.zerosLike(upd!)), null, dUpd]; // overwritten entries get none
});

defineVjp('ScatterElements', ({ inputs: [, idx, upd], attrs, outGrads: [gy] }) => {
  const reduction = (attrs.reduction as string | undefined) ?? 'none';
  const axis = (attrs.axis as number | undefined) ?? 0;
  const dUpd = op.gatherElements(gy!, idx!, axis);
  if (reduction === 'add') return [gy!, null, dUpd];
  if (reduction !== 'none') throw new Error(`no gradient for ScatterElements with reduction ${reduction}`);
  return [op.scatterElements(gy!, idx!, op.zerosLike(upd!), axis), null, dUpd];
});
