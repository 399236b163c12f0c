/**
 * Dropless dispatch without padding (token choice, inference): the kept
 * assignments are laid out expert by expert in one compact table of R rows
 * (R = Σ_e n_e, every routed assignment when dropless), so expert e computes
 * exactly its own n_e rows instead of the busiest expert's load — the padded
 * buffer [E, C, D] of dispatch.ts costs E·max_e n_e rows. Cf. MegaBlocks
 * (Gale et al. 2022, "dropless MoE"), here with one FFN per expert on its
 * row block rather than a block-sparse kernel.
 *
 * The layout is a counting sort: an assignment's row is its expert's offset
 * (the exclusive cumsum of the loads) plus its position within the expert
 * (capacity.ts), so no sort op is needed and the order within an expert is
 * the assignments' priority order (stable). Each expert's block is cut out
 * with Split on the runtime loads; ONNX Runtime accepts zero-sized pieces,
 * and an expert with no tokens runs on a [1, 0, D] block (computes nothing).
 */
import * as op from '../graph/ops/index.js';
import type { Value } from '../graph/value.js';
import type { Positions } from './capacity.js';

export interface CompactDispatch {
  /** Token of each row, expert by expert (expert 0's rows first) [R] int64. */
  table: Value;
  /** Rows of each expert [E] int64 (Σ = R): the kept assignments per expert. */
  counts: Value;
  /** Row of each assignment [A] int64: offset_e + position when kept, else R (combine reads a zero row there). */
  slot: Value;
}

/** The compact layout of the kept assignments of `p` (all routed ones when dropless). */
export function dispatchCompact(p: Positions): CompactDispatch {
  const g = p.expert.graph;
  const counts = op.reduceSum(p.keptOneHot, [0]); // [E] n_e
  const offsets = op.cumsum(counts, 0, { exclusive: true }); // [E] first row of each expert
  const total = op.reduceSum(counts); // [] R
  const slot = op.where(p.keep, op.add(op.gather(offsets, p.expert), p.position), total); // [A]
  const table0 = op.constantOfShape(op.reshape(op.add(total, g.scalar(1, 'int64')), [1]), 0, 'int64'); // [R + 1]
  // Every row < R is written exactly once; the non-kept assignments all write row R, which is cut off.
  const table1 = op.scatterND(table0, op.unsqueeze(slot, [1]), p.token); // [R + 1]
  const [table] = op.split(table1, op.concat([op.reshape(total, [1]), g.ints([1])], 0), 0); // [R]
  return { table: table!, counts, slot };
}
