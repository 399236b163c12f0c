/** VJP rules of the gather/scatter family: gathers scatter-add back, scatters gather. */
import * as op from '../../graph/ops/index.js';
import { normAxis } from '../../graph/shape.js';
import { defineVjp } from '../vjp-registry.js';

defineVjp('Gather', ({ inputs: [data0, idx0], attrs, outGrads: [gy0] }) => {
  const data = data0!;
  const idx = op.cast(idx0!, 'int64');
  const axis = normAxis((attrs.axis as number | undefined) ?? 0, data.rank);
  const gy = gy0!; // [data[:axis], idx.shape, data[axis+1:]]
  if (axis === 0) return [op.scatterND(op.zerosLike(data), op.unsqueeze(idx, [idx.rank]), gy, 'add'), null];
  // Move the gathered axis to the front, scatter, move it back.
  const dataPerm = [axis, ...[...Array(data.rank).keys()].filter((i) => i !== axis)];
  const idxAxes = [...Array(idx.rank).keys()].map((i) => i + axis);
  const gyPerm = [...idxAxes, ...[...Array(gy.rank).keys()].filter((i) => !idxAxes.includes(i))];
  const zeros = op.transpose(op.zerosLike(data), dataPerm); // [data[axis], rest]
  const scattered = op.scatterND(zeros, op.unsqueeze(idx, [idx.rank]), op.transpose(gy, gyPerm), 'add');
  return [op.transpose(scattered, dataPerm.map((_, i) => dataPerm.indexOf(i))), null];
});

defineVjp('GatherElements', ({ inputs: [data, idx], attrs, outGrads: [gy] }) => {
  const axis = (attrs.axis as number | undefined) ?? 0;
  return [op.scatterElements(op.zerosLike(data!), idx!, gy!, axis, 'add'), null];
});

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
