/**
 * Expert capacity and each assignment's position in its expert's buffer.
 *
 * C = ceil(capacityFactor · tokens · k / E) (Fedus et al. 2021, "Switch
 * Transformers", eq. 3 with k assignments per token), computed in the graph
 * from the runtime token count so one graph serves any batch size. A token's
 * position in expert e is the number of earlier assignments to e (a cumsum
 * over one-hot assignments); assignments at positions ≥ C are dropped.
 */
import type { Graph } from '../graph/graph.js';
import * as op from '../graph/ops/index.js';
import type { Value } from '../graph/value.js';

/** Largest int64 used as "never fits" (any real position or capacity is far smaller). */
const NEVER = 2 ** 53;

/** Number of routed tokens as an int64 scalar []: N from x's runtime shape, or the count of true entries of `valid` [N]. */
export function routedTokenCount(x: Value, valid: Value | null): Value {
  if (valid) return op.reduceSum(op.cast(valid, 'int64')); // [] Σ valid
  return op.gather(op.shapeOf(x), x.graph.scalar(0, 'int64')); // [] N
}

export interface CapacityOptions {
  /** Capacity factor; 0 (or less) = unlimited: every routed token fits (C = tokens; token-choice layers use the dropless capacity instead). */
  factor: number;
  /** Assignments per token. */
  k: number;
  numExperts: number;
}

/**
 * C = ceil(factor · tokens · k / E) as an int64 scalar [], clamped to
 * [1, max(tokens, 1)]: an expert never needs more slots than there are tokens
 * (a token sends at most one assignment to each expert), and at least one slot
 * keeps the buffers non-empty. The ceiling is taken in float64 with a 1e-9
 * slack so that an exact product (1.25·8/2 = 5) is not pushed up by rounding.
 */
export function expertCapacity(tokens: Value, o: CapacityOptions): Value {
  const g = tokens.graph;
  const upper = op.maximum(tokens, g.scalar(1, 'int64')); // [] max(n, 1)
  if (!(o.factor > 0)) return upper;
  const v = op.sub(op.mul(op.cast(tokens, 'float64'), g.scalar((o.factor * o.k) / o.numExperts, 'float64')), g.scalar(1e-9, 'float64')); // [] f·n·k/E − slack
  const floor = op.cast(op.maximum(v, g.scalar(0, 'float64')), 'int64'); // [] ⌊v⌋ (v ≥ 0: Cast truncates)
  const frac = op.cast(op.less(op.cast(floor, 'float64'), v), 'int64'); // [] 1 if v is not an integer
  const ceil = op.add(floor, frac); // [] ⌈v⌉
  return op.maximum(op.minimum(ceil, upper), g.scalar(1, 'int64')); // [] C
}

export interface Positions {
  /** Expert of each assignment [A] int64, A = k·N in priority order: every token's 1st choice, then every 2nd choice, … */
  expert: Value;
  /** Token of each assignment [A] int64. */
  token: Value;
  /** Position of each assignment in its expert's buffer [A] int64 (meaningful where `routed`). */
  position: Value;
  /** The assignment is from a real (not padding) token [A] int64 0/1. */
  routed: Value;
  /** The assignment is routed and fits (position < C) [A] bool. */
  keep: Value;
  /** One-hot of each routed assignment's expert [A, E] int64 (before the capacity cut). */
  routedOneHot: Value;
  /** One-hot of each kept assignment's expert [A, E] int64 (zero rows for dropped or padding). */
  keptOneHot: Value;
  /** The capacity C used [] int64 (the given one, or the busiest expert's load when dropless). */
  capacity: Value;
}

/**
 * Positions of the token-choice assignments `experts` [N, k] in their
 * experts' buffers, and which fit under `capacity` []. First choices take
 * priority over second choices (GShard, Lepikhin et al. 2020, Alg. 1), and
 * within one choice rank earlier tokens come first. `valid` [N] bool marks
 * real tokens; padding is not routed and takes no slot.
 */
export function positionInExpert(experts: Value, valid: Value | null, capacityOrDropless: Value | 'dropless', numExperts: number): Positions {
  const g = experts.graph;
  const k = experts.shape[1] as number;
  const expert = op.reshape(op.transpose(experts, [1, 0]), [-1]); // [A] k-major
  const n = op.reshape(routedTokenCount(experts, null), [1]); // [1] N
  const tokenRow = op.range(g.scalar(0, 'int64'), op.squeeze(n, [0]), g.scalar(1, 'int64')); // [N]
  const token = op.reshape(op.expand(op.unsqueeze(tokenRow, [0]), op.concat([g.ints([k]), n], 0)), [-1]); // [A]
  const routed = valid ? op.gather(op.cast(valid, 'int64'), token) : op.constantOfShape(op.shapeOf(token), 1, 'int64'); // [A] 0/1
  const routedOneHot = op.mul(oneHot(expert, numExperts, g), op.unsqueeze(routed, [1])); // [A, E]
  const before = op.cumsum(routedOneHot, 0, { exclusive: true }); // [A, E] earlier assignments per expert
  const position = op.reduceSum(op.mul(before, routedOneHot), [1]); // [A]
  // Dropless: every expert gets as many slots as the busiest one needs, so nothing is dropped and padding is minimal.
  const capacity =
    capacityOrDropless === 'dropless'
      ? op.maximum(op.reduceMax(op.reduceSum(routedOneHot, [0])), g.scalar(1, 'int64')) // [] max_e load_e
      : capacityOrDropless;
  const contested = op.where(op.equal(routed, 1), position, g.scalar(NEVER, 'int64')); // [A] padding never fits
  const keep = op.less(contested, capacity); // [A]
  const keptOneHot = op.mul(routedOneHot, op.unsqueeze(op.cast(keep, 'int64'), [1])); // [A, E]
  return { expert, token, position, routed, keep, routedOneHot, keptOneHot, capacity };
}

/** One-hot rows [.., E] int64 of integer ids [..]. */
export function oneHot(ids: Value, depth: number, g: Graph = ids.graph): Value {
  const classes = g.ints([...Array(depth).keys()]); // [E]
  return op.cast(op.equal(op.unsqueeze(ids, [ids.rank]), classes), 'int64'); // [.., E]
}
