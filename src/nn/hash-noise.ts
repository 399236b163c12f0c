/**
 * Reproducible noise from a seed input: U[0, 1) values computed in the graph
 * by hashing each element's index with a seed, using only integer
 * Mul/Add/Div/Sub (a few quadratic rounds modulo the prime 2³¹ − 1). Unlike ONNX RandomUniformLike, whose generator state
 * lives in the session, the same (seed, shape) always gives the same noise,
 * so a resumed training run repeats an uninterrupted one exactly.
 */
import * as op from '../graph/ops/index.js';
import type { Value } from '../graph/value.js';

const MODULUS = 2147483647; // 2³¹ − 1 (a prime): every product below stays under 2⁶³
const ROUNDS: [number, number][] = [
  [48271, 11],
  [69621, 12345],
  [16807, 2836],
];

/** x mod M for non-negative int64 x. */
function mod(x: Value, m: number): Value {
  const mv = x.graph.scalar(m, 'int64');
  return op.sub(x, op.mul(op.div(x, mv), mv)); // x − ⌊x/m⌋·m
}

/** Uniform noise in [low, high) with the runtime shape of `like`, from an int64 seed []. */
export function hashUniform(like: Value, seed: Value, low: number, high: number): Value {
  const g = like.graph;
  if (seed.dtype !== 'int64' || seed.rank !== 0) throw new Error(`hashUniform: seed must be an int64 scalar, got ${seed.dtype}[${seed.shape}]`);
  const index = flatIndex(like); // like's shape: 0..numel−1, row-major
  let h = mod(op.add(op.mul(index, g.scalar(7919, 'int64')), op.mul(mod(seed, MODULUS), g.scalar(104729, 'int64'))), MODULUS);
  // Quadratic rounds h ← (h·(h + a) + c) mod M: affine rounds alone would keep neighbours correlated.
  for (const [a, c] of ROUNDS) h = mod(op.add(op.mul(h, op.add(h, g.scalar(a, 'int64'))), g.scalar(c, 'int64')), MODULUS);
  const u = op.div(op.cast(h, like.dtype), MODULUS); // [0, 1)
  return op.add(op.mul(u, high - low), low); // [low, high)
}

/** Row-major element index of every position of `like` (int64, like's runtime shape), built axis by axis. */
function flatIndex(like: Value): Value {
  const g = like.graph;
  const shape = op.shapeOf(like);
  const zero = g.scalar(0, 'int64');
  const one = g.scalar(1, 'int64');
  let index: Value = zero;
  for (let a = 0; a < like.rank; a++) {
    const dim = op.gather(shape, g.scalar(a, 'int64')); // [] size of axis a
    const axes = [...Array(like.rank).keys()].filter((i) => i !== a);
    const iota = axes.length ? op.unsqueeze(op.range(zero, dim, one), axes) : op.range(zero, dim, one); // 1 … dim … 1
    index = op.add(op.mul(index, dim), iota); // broadcasts up to like's shape
  }
  return index;
}
