/** What the four encoders share: their output contract, pooling, and position-table helpers. */
import type { DType } from '../../graph/dtype.js';
import type { Graph } from '../../graph/graph.js';
import * as op from '../../graph/ops/index.js';
import { formatShape, type Dim } from '../../graph/shape.js';
import type { Value } from '../../graph/value.js';
import { LayerNorm } from '../../nn/layer-norm.js';
import { TransformerBlock } from '../../nn/transformer-block.js';

/** How an encoder summarises its tokens into the pooled vector. */
export type Pooling = 'mean' | 'cls';

/** What every modality encoder returns. */
export interface EncoderOutput {
  /** Token features [B, T_m, D]. */
  tokens: Value;
  /** One vector per example [B, D]: the (masked) mean of the tokens. */
  pooled: Value;
  /** bool [B, T_m], true = real token; absent when every token is real. */
  mask?: Value;
}

/** Options of an encoder's apply. */
export interface EncodeOptions<P extends boolean = boolean> {
  /**
   * Compute the pooled vector only (the embed graph): with 'cls' pooling the
   * last block runs for the cls row alone; the tokens are then absent.
   * Default false.
   */
  pooledOnly?: P;
}

/** An encoder's output: without tokens when only the pooled vector was asked for (P = true). */
export type EncoderResult<P extends boolean = false> = P extends true ? Omit<EncoderOutput, 'tokens'> & { tokens?: undefined } : EncoderOutput;

/**
 * The transformer on top of a front-end: `layers` pre-norm blocks
 * (`<scope>.layers.<i>`) and, since pre-norm blocks leave the residual stream
 * unnormalised, a final LayerNorm `<scope>.norm` (as ViT and GPT-2). With
 * layers = 0 it is the identity and has no parameters.
 */
export class EncoderStack {
  readonly blocks: TransformerBlock[];
  readonly norm: LayerNorm | null;

  /** Learned summary token prepended before the blocks when pooling is 'cls' (`<scope>.cls`). */
  readonly cls: Value | null;

  constructor(
    readonly g: Graph,
    cfg: { dim: number; layers: number; heads: number; mlpRatio: number; pooling?: Pooling },
  ) {
    const { dim, heads, mlpRatio, layers } = cfg;
    this.blocks = g.withScope('layers', () => Array.from({ length: layers }, (_, i) => new TransformerBlock(g, String(i), { dim, heads, mlpRatio })));
    this.norm = layers > 0 ? new LayerNorm(g, 'norm', { dim }) : null;
    this.cls = cfg.pooling === 'cls' && layers > 0 ? g.param('cls', [dim], { kind: 'normal', std: 0.02 }) : null;
  }

  /**
   * Runs the blocks and pools: 'mean' = the (masked) mean of the output
   * tokens; 'cls' = the output at a learned token prepended to the sequence
   * (ViT / BERT), which the blocks can fill with an ordered summary — a mean
   * forgets the order of what it averages. Tokens come back without it; with
   * `pooledOnly` they do not come back, and 'cls' runs the last block for
   * the cls row alone (its keys and values still from every token).
   */
  applyPooled<P extends boolean = false>(x: Value, mask?: Value, o: EncodeOptions<P> = {}): EncoderResult<P> {
    if (!this.cls) {
      const tokens = this.apply(x, mask); // [B, T, D]
      const pooled = mask ? maskedMeanPool(tokens, mask) : meanPool(tokens); // [B, D]
      return (o.pooledOnly ? { pooled } : { tokens, pooled }) as EncoderResult<P>;
    }
    const g = this.g;
    const batch = op.slice(op.shapeOf(x), [0], [1]); // [1] B
    const cls = op.expand(op.reshape(this.cls, [1, 1, -1]), op.concat([batch, g.ints([1, this.cls.shape[0] as number])], 0)); // [B, 1, D]
    const clsMask = mask ? op.concat([op.expand(g.constant({ dtype: 'bool', shape: [1, 1], data: Uint8Array.of(1) }), op.concat([batch, g.ints([1])], 0)), mask], 1) : undefined; // [B, 1 + T]
    const seq = op.concat([cls, x], 1); // [B, 1 + T, D]
    if (o.pooledOnly) return { pooled: op.squeeze(this.apply(seq, clsMask, { queryRows: 1 }), [1]) } as EncoderResult<P>; // [B, D]
    const out = this.apply(seq, clsMask); // [B, 1 + T, D]
    const pooled = op.squeeze(op.slice(out, [0], [1], [1]), [1]); // [B, D]
    const tokens = op.slice(out, [1], [2 ** 31 - 1], [1]); // [B, T, D]
    return { tokens, pooled } as EncoderResult<P>;
  }

  /**
   * [B, T, D] → [B, T, D]; `mask` (bool [B, T], true = real) keeps padding out
   * of every attention. With `queryRows` = Q the last block computes only the
   * first Q positions → [B, Q, D] (see TransformerBlock.apply).
   */
  apply(x: Value, mask?: Value, o: { queryRows?: number } = {}): Value {
    let h = x;
    this.g.withScope('layers', () => {
      this.blocks.forEach((b, i) => {
        h = b.apply(h, { keyPaddingMask: mask, queryRows: i === this.blocks.length - 1 ? o.queryRows : undefined }); // [B, T, D] ([B, Q, D] last)
      });
    });
    return this.norm ? this.norm.apply(h) : h; // [B, T, D]
  }
}

/** Mean over the token axis: [B, T, D] → [B, D]. */
export function meanPool(tokens: Value): Value {
  return op.reduceMean(tokens, [1]); // [B, D]
}

/**
 * Mean over the real tokens only: Σ_t m[b,t]·x[b,t,:] / max(Σ_t m[b,t], 1).
 * Padded positions contribute nothing, not even NaN·0 (Where, not Mul); an
 * example with no real token pools to 0.
 */
export function maskedMeanPool(tokens: Value, mask: Value): Value {
  const m = op.unsqueeze(mask, [2]); // bool [B, T, 1]
  const kept = op.where(m, tokens, 0); // [B, T, D]
  const sum = op.reduceSum(kept, [1]); // [B, D]
  const count = op.reduceSum(op.cast(m, tokens.dtype), [1]); // [B, 1]
  return op.div(sum, op.maximum(count, 1)); // [B, D]
}

/**
 * The first `n` rows of a position table [N, D] → [n, D]: the whole table, a
 * Slice for a static n, or a Gather of Range(0, n) for a named n (read from
 * `like`'s shape at `axis`; ONNX Runtime then fails if n > N).
 */
export function positionRows(table: Value, n: Dim, like?: { value: Value; axis: number }): Value {
  const rows = table.shape[0]!;
  if (typeof n === 'number') return n === rows ? table : op.slice(table, [0], [n], [0]); // [n, D]
  if (!like) throw new Error(`positionRows: a named length '${n}' needs the tensor it comes from`);
  const g = table.graph;
  const len = op.gather(op.shapeOf(like.value), g.scalar(like.axis, 'int64')); // int64 []
  const idx = op.range(g.scalar(0, 'int64'), len, g.scalar(1, 'int64')); // [n]
  return op.gather(table, idx, 0); // [n, D]
}

/**
 * Factorised positions on a grid: tables [n_i, D] for each axis (e.g. time,
 * row, column) summed by broadcasting, flattened row-major → [Π n_i, D].
 */
export function gridPositions(tables: Value[]): Value {
  const k = tables.length;
  const d = tables[0]!.shape[1]!;
  let sum: Value | null = null;
  tables.forEach((t, i) => {
    const axes = [...Array(k).keys()].filter((a) => a !== i);
    const placed = axes.length ? op.unsqueeze(t, axes) : t; // [1.., n_i, 1.., D]
    sum = sum ? op.add(sum, placed) : placed;
  });
  const n = tables.reduce((p, t) => p * (t.shape[0] as number), 1);
  return op.reshape(sum!, [n, d as number]); // [N, D]
}

/** Checks an encoder input's dtype and rank at trace time, naming the encoder and the shape. */
export function checkInput(x: Value, what: string, dtypes: readonly DType[], layout: readonly string[]): void {
  if (!dtypes.includes(x.dtype) || x.rank !== layout.length) {
    throw new Error(
      `${what} must be ${dtypes.join(' or ')} [${layout.join(', ')}], got ${x.dtype} ${formatShape(x.shape)}`,
    );
  }
}

/** A static size of `x` at `axis`, or an error naming the encoder, the input and its shape. */
export function staticDim(x: Value, axis: number, what: string, name: string): number {
  const d = x.shape[axis];
  if (typeof d !== 'number') throw new Error(`${what} ${formatShape(x.shape)}: ${name} must be a static size, got '${d}'`);
  return d;
}
