/**
 * Dispatch: gathers each expert's tokens into one buffer [E, C, D] so every
 * expert runs on its own C rows only (GShard's dispatch, Lepikhin et al.
 * 2020, done with indices instead of a dense [N, E, C] dispatch tensor).
 *
 * A slot table [E·C] says which token fills each slot. It starts filled with
 * N, the index of a zero row appended to x, so unfilled slots read zeros; the
 * kept assignments are written in with ScatterND. Dropped assignments all go
 * to one extra, discarded slot E·C.
 */
import type { Graph } from '../graph/graph.js';
import { hostTensor } from '../graph/host-tensor.js';
import * as op from '../graph/ops/index.js';
import type { Dim } from '../graph/shape.js';
import type { Value } from '../graph/value.js';
import type { Positions } from './capacity.js';

export interface Dispatch {
  /** Expert input buffer [E, C, D]; unfilled slots are zero rows. */
  buffer: Value;
  /** Slot of each assignment in the flattened buffer [A] int64: e·C + position, or E·C (discarded) when dropped. */
  slot: Value;
}

/**
 * The int64 shape tensor [E, C, D] for a runtime capacity C [], carrying the
 * dims symbolically (`capDim` names C) so shape inference downstream shows
 * the buffers as [E, capDim, D] rather than as unknown sizes.
 */
export function bufferShape(capacity: Value, numExperts: number, dim: number, capDim: Dim): Value {
  const g = capacity.graph;
  const shape = op.concat([g.ints([numExperts]), op.reshape(capacity, [1]), g.ints([dim])], 0); // [3]
  shape.symbolic = [numExperts, capDim, dim]; // the contents as dims: E and D static, C named
  return shape;
}

/** x [N, D] with a zero row appended [N + 1, D]: row N is what empty and dropped slots read. */
export function padWithZeroRow(x: Value, dim: number): Value {
  const zeros = zeroRow(x.graph, x.dtype, dim); // [1, D]
  return op.concat([x, zeros], 0); // [N + 1, D]
}

export function zeroRow(g: Graph, dtype: Value['dtype'], dim: number): Value {
  if (dtype !== 'float32' && dtype !== 'float64') throw new Error(`MoE supports float32 and float64 tokens, got ${dtype}`);
  const data = dtype === 'float32' ? new Float32Array(dim) : new Float64Array(dim);
  return g.constant(hostTensor(dtype, [1, dim], data)); // [1, D]
}

/** Token-choice dispatch of x [N, D] by `p` under capacity C [] into a buffer [E, C, D]. */
export function dispatchTokens(x: Value, p: Positions, capacity: Value, numExperts: number, capDim: Dim): Dispatch {
  const g = x.graph;
  const dim = x.shape[1] as number;
  const n = op.gather(op.shapeOf(x), g.scalar(0, 'int64')); // [] N, the zero row's index
  const slots = op.mul(capacity, g.scalar(numExperts, 'int64')); // [] E·C
  const slot = op.where(p.keep, op.add(op.mul(p.expert, capacity), p.position), slots); // [A]
  const table0 = op.add(op.constantOfShape(op.reshape(op.add(slots, g.scalar(1, 'int64')), [1]), 0, 'int64'), n); // [E·C + 1] all N
  const source = op.where(p.keep, p.token, n); // [A] dropped ones write N into the discarded slot
  const table1 = op.scatterND(table0, op.unsqueeze(slot, [1]), source); // [E·C + 1]
  const [table] = op.split(table1, op.concat([op.reshape(slots, [1]), g.ints([1])], 0), 0); // [E·C] discarded slot cut off
  const rows = op.gather(padWithZeroRow(x, dim), table!); // [E·C, D]
  const buffer = op.reshape(rows, bufferShape(capacity, numExperts, dim, capDim)); // [E, C, D]
  return { buffer, slot };
}
