/**
 * Combine: brings expert outputs back to their tokens, weighted by the
 * gates. Token choice gathers one row per assignment and sums a token's k
 * rows; expert choice scatter-adds each expert's C rows into the tokens.
 * Tokens no expert processed get 0 (the caller's residual carries them).
 */
import * as op from '../graph/ops/index.js';
import type { Value } from '../graph/value.js';
import { padWithZeroRow } from './dispatch.js';

/**
 * Token choice: y[n] = Σ_j gate[j·N + n] · out[slot[j·N + n]] over the k
 * assignments of token n (k-major order), `out`'s rows taken flat. `gate` [A]
 * must be 0 for dropped assignments, whose slot (one past the last row: E·C,
 * or R for the compact layout) reads the appended zero row.
 * `out` [E, C, D] (padded buffer) or [R, D] (compact dropless rows),
 * `slot` [A] int64, `x` [N, D] gives N; returns [N, D].
 */
export function combineTokenChoice(out: Value, slot: Value, gate: Value, k: number, x: Value): Value {
  const g = x.graph;
  const dim = x.shape[1] as number;
  const flat = out.rank === 2 ? out : op.reshape(out, [-1, dim]); // [E·C, D] (or [R, D])
  const rows = op.gather(padWithZeroRow(flat, dim), slot); // [A, D]
  const weighted = op.mul(rows, op.unsqueeze(gate, [1])); // [A, D]
  const perChoice = op.reshape(weighted, op.concat([g.ints([k]), op.shapeOf(x)], 0)); // [k, N, D]
  return op.reduceSum(perChoice, [0]); // [N, D]
}

/**
 * Expert choice: y[token[e, c]] += gate[e, c] · out[e, c], a ScatterND-add
 * into zeros shaped like x [N, D]. `out` [E, C, D], `token` and `gate` [E, C].
 */
export function combineExpertChoice(out: Value, token: Value, gate: Value, x: Value): Value {
  const dim = x.shape[1] as number;
  const weighted = op.reshape(op.mul(out, op.unsqueeze(gate, [2])), [-1, dim]); // [E·C, D]
  const idx = op.reshape(token, [-1, 1]); // [E·C, 1]
  return op.scatterND(op.zerosLike(x), idx, weighted, 'add'); // [N, D]
}
