/**
 * Multi-head scaled dot-product attention (Vaswani et al. 2017, eq. 1):
 * softmax(Q·Kᵀ/√d_h + mask)·V per head. Self- or cross-attention, an
 * optional causal mask, key padding masks, and a KV cache for decoding.
 */
import type { Graph } from '../graph/graph.js';
import * as op from '../graph/ops/index.js';
import type { Value } from '../graph/value.js';
import { validateConfig, type ConfigOf, type ConfigSchema } from './config.js';
import { Linear } from './linear.js';

export interface AttentionConfig {
  /** Model width D of the queries (and of the output). */
  dim: number;
  /** Number of heads H; dim must be divisible by it. */
  heads: number;
  /** Width of the keys/values source (cross-attention memory); default dim. */
  kvDim?: number;
  /** Biases on the q/k/v/out projections (default true). */
  bias?: boolean;
}

export const ATTENTION_SCHEMA = {
  dim: { type: 'integer', min: 1 },
  heads: { type: 'integer', min: 1 },
  kvDim: { type: 'integer', min: 1, optional: true },
  bias: { type: 'boolean', default: true },
} as const satisfies ConfigSchema<AttentionConfig>;

/** Keys and values split into heads: [B, H, S, d_h] each. */
export interface KeyValues {
  k: Value;
  v: Value;
}

export interface AttendOptions {
  /** bool [B, S]: true for real keys, false for padding. */
  keyPaddingMask?: Value;
  /** Query i (at absolute position past + i) sees keys 0..past + i only. */
  causal?: boolean;
}

/** Added to masked scores: large enough to zero the softmax, small enough to stay finite in float32. */
export const MASKED_SCORE = -1e9;

export class MultiHeadAttention {
  readonly cfg: ConfigOf<typeof ATTENTION_SCHEMA>;
  readonly path: string;
  readonly headDim: number;
  readonly q: Linear;
  readonly k: Linear;
  readonly v: Linear;
  readonly out: Linear;

  constructor(
    readonly g: Graph,
    readonly name: string,
    cfg: AttentionConfig,
  ) {
    this.path = g.scope ? `${g.scope}.${name}` : name;
    this.cfg = validateConfig(cfg, ATTENTION_SCHEMA, `attention config at ${this.path}`);
    const { dim, heads, bias } = this.cfg;
    if (dim % heads !== 0) throw new Error(`attention ${this.path}: dim ${dim} is not divisible by heads ${heads}`);
    this.headDim = dim / heads;
    const kvDim = this.cfg.kvDim ?? dim;
    [this.q, this.k, this.v, this.out] = g.withScope(name, () => [
      new Linear(g, 'q', { inFeatures: dim, outFeatures: dim, bias }),
      new Linear(g, 'k', { inFeatures: kvDim, outFeatures: dim, bias }),
      new Linear(g, 'v', { inFeatures: kvDim, outFeatures: dim, bias }),
      new Linear(g, 'out', { inFeatures: dim, outFeatures: dim, bias }),
    ]);
  }

  /**
   * Self-attention, or attention from x to `memory` [B, S, kvDim]
   * (cross-attention, or self-attention with the first T of S positions as
   * the queries): [B, T, D] → [B, T, D].
   */
  apply(x: Value, o: AttendOptions & { memory?: Value } = {}): Value {
    return this.g.withScope(this.name, () => this.attend(x, this.projectKeyValues(o.memory ?? x), o, null));
  }

  /** Projects a key/value source once, for reuse across decode steps: [B, S, kvDim] → heads. */
  projectKeyValues(source: Value): KeyValues {
    return this.g.withScope(this.name, () => ({
      k: this.splitHeads(this.k.apply(source)), // [B, H, S, d_h]
      v: this.splitHeads(this.v.apply(source)), // [B, H, S, d_h]
    }));
  }

  /**
   * Cached self-attention for decoding: the new tokens x [B, T_new, D] attend
   * to the cached keys/values of the previous positions plus their own
   * (causally). Returns the output and the cache extended by T_new.
   * `pastMask` (bool [B, P], true = real) lets rows of one batch have caches
   * of different lengths, padded to P.
   */
  applyCached(x: Value, past: KeyValues, o: { pastMask?: Value } = {}): { y: Value; present: KeyValues } {
    return this.g.withScope(this.name, () => {
      const kvNew = { k: this.splitHeads(this.k.apply(x)), v: this.splitHeads(this.v.apply(x)) }; // [B, H, T_new, d_h]
      const present = { k: op.concat([past.k, kvNew.k], 2), v: op.concat([past.v, kvNew.v], 2) }; // [B, H, P + T_new, d_h]
      let keyPaddingMask: Value | undefined;
      if (o.pastMask) {
        const newKeys = op.expand(this.g.constant({ dtype: 'bool', shape: [], data: Uint8Array.of(1) }), op.slice(op.shapeOf(x), [0], [2])); // [B, T_new]
        keyPaddingMask = op.concat([o.pastMask, newKeys], 1); // [B, P + T_new]
      }
      return { y: this.attend(x, present, { causal: true, keyPaddingMask }, past.k), present };
    });
  }

  /** Attends queries from x to already projected keys/values (cross-attention with a cached memory). */
  attendTo(x: Value, kv: KeyValues, o: AttendOptions = {}): Value {
    return this.g.withScope(this.name, () => this.attend(x, kv, o, null));
  }

  private attend(x: Value, kv: KeyValues, o: AttendOptions, pastK: Value | null): Value {
    const g = this.g;
    const q = this.splitHeads(this.q.apply(x)); // [B, H, T, d_h]
    const kT = op.transpose(kv.k, [0, 1, 3, 2]); // [B, H, d_h, S]
    let scores = op.mul(op.matmul(q, kT), 1 / Math.sqrt(this.headDim)); // [B, H, T, S]
    if (o.keyPaddingMask) {
      const keep = op.unsqueeze(o.keyPaddingMask, [1, 2]); // [B, 1, 1, S]
      scores = op.add(scores, op.where(keep, g.scalar(0), g.scalar(MASKED_SCORE))); // [B, H, T, S]
    }
    if (o.causal) scores = op.add(scores, causalBias(q, kv.k, pastK)); // [B, H, T, S]
    const weights = op.softmax(scores, -1); // [B, H, T, S]
    const ctx = op.matmul(weights, kv.v); // [B, H, T, d_h]
    const merged = op.reshape(op.transpose(ctx, [0, 2, 1, 3]), [0, 0, this.cfg.dim]); // [B, T, D]
    return this.out.apply(merged); // [B, T, D]
  }

  /** [B, T, D] → [B, H, T, d_h]. */
  private splitHeads(x: Value): Value {
    const h = op.reshape(x, [0, 0, this.cfg.heads, this.headDim]); // [B, T, H, d_h]
    return op.transpose(h, [0, 2, 1, 3]); // [B, H, T, d_h]
  }
}

/**
 * Additive causal mask [T, S]: query i sits at absolute position P + i, where
 * P = S − T is the number of cached positions; it may see keys at j ≤ P + i.
 */
function causalBias(q: Value, k: Value, pastK: Value | null): Value {
  const g = q.graph;
  const zero = g.scalar(0, 'int64');
  const one = g.scalar(1, 'int64');
  const t = op.gather(op.shapeOf(q), g.scalar(2, 'int64')); // [] T
  const s = op.gather(op.shapeOf(k), g.scalar(2, 'int64')); // [] S
  const past = pastK ? op.sub(s, t) : zero; // [] P
  const qPos = op.unsqueeze(op.range(past, op.add(past, t), one), [1]); // [T, 1]
  const kPos = op.unsqueeze(op.range(zero, s, one), [0]); // [1, S]
  return op.where(op.greater(kPos, qPos), g.scalar(MASKED_SCORE), g.scalar(0)); // [T, S]
}
