/**
 * A pre-norm transformer block (GPT-2 / ViT style): x + Attn(LN(x)), then
 * optionally x + CrossAttn(LN(x), memory), then x + MLP(LN(x)).
 */
import type { Graph } from '../graph/graph.js';
import * as op from '../graph/ops/index.js';
import type { Value } from '../graph/value.js';
import { MultiHeadAttention, type KeyValues } from './attention.js';
import { validateConfig, type ConfigOf, type ConfigSchema } from './config.js';
import { LayerNorm } from './layer-norm.js';
import { Mlp } from './mlp.js';

export interface TransformerBlockConfig {
  /** Model width D. */
  dim: number;
  /** Attention heads. */
  heads: number;
  /** MLP hidden width = mlpRatio · dim (default 4). */
  mlpRatio?: number;
  /** Causal self-attention (decoders). Default false. */
  causal?: boolean;
  /** Adds a cross-attention sublayer over a memory (encoder-decoder). Default false. */
  crossAttention?: boolean;
  /** Width of the cross-attention memory (default dim). */
  memoryDim?: number;
  /** Omit the MLP sublayer, so the caller can add its own (e.g. a MoE layer). Default false. */
  noMlp?: boolean;
}

export const TRANSFORMER_BLOCK_SCHEMA = {
  dim: { type: 'integer', min: 1 },
  heads: { type: 'integer', min: 1 },
  mlpRatio: { type: 'number', min: 0, default: 4 },
  causal: { type: 'boolean', default: false },
  crossAttention: { type: 'boolean', default: false },
  memoryDim: { type: 'integer', min: 1, optional: true },
  noMlp: { type: 'boolean', default: false },
} as const satisfies ConfigSchema<TransformerBlockConfig>;

export interface BlockOptions {
  /** bool [B, T]: true for real tokens (self-attention keys). */
  keyPaddingMask?: Value;
  /** Cross-attention memory [B, S, memoryDim], or its keys/values already projected. */
  memory?: Value | KeyValues;
  /** bool [B, S]: true for real memory positions. */
  memoryMask?: Value;
}

export class TransformerBlock {
  readonly cfg: ConfigOf<typeof TRANSFORMER_BLOCK_SCHEMA>;
  readonly path: string;
  readonly ln1: LayerNorm;
  readonly attn: MultiHeadAttention;
  readonly lnCross: LayerNorm | null;
  readonly cross: MultiHeadAttention | null;
  /** The norm before the feed-forward sublayer (also used by callers that bring their own FFN). */
  readonly ln2: LayerNorm;
  readonly mlp: Mlp | null;

  constructor(
    readonly g: Graph,
    readonly name: string,
    cfg: TransformerBlockConfig,
  ) {
    this.path = g.scope ? `${g.scope}.${name}` : name;
    this.cfg = validateConfig(cfg, TRANSFORMER_BLOCK_SCHEMA, `transformer block config at ${this.path}`);
    const { dim, heads, mlpRatio, crossAttention, noMlp } = this.cfg;
    [this.ln1, this.attn, this.lnCross, this.cross, this.ln2, this.mlp] = g.withScope(name, () => [
      new LayerNorm(g, 'ln1', { dim }),
      new MultiHeadAttention(g, 'attn', { dim, heads }),
      crossAttention ? new LayerNorm(g, 'ln_cross', { dim }) : null,
      crossAttention ? new MultiHeadAttention(g, 'cross', { dim, heads, kvDim: this.cfg.memoryDim ?? dim }) : null,
      new LayerNorm(g, 'ln2', { dim }),
      noMlp ? null : new Mlp(g, 'mlp', { inFeatures: dim, hiddenFeatures: Math.max(1, Math.round(mlpRatio * dim)) }),
    ]);
  }

  /**
   * [B, T, D] → [B, T, D]; with `queryRows` = Q only the outputs at the first
   * Q positions, [B, Q, D]: every position still gives keys and values, but
   * queries, residuals and the MLP run on those rows alone (e.g. a cls token's
   * last block).
   */
  apply(x: Value, o: BlockOptions & { queryRows?: number } = {}): Value {
    const q = o.queryRows;
    return this.g.withScope(this.name, () => {
      const h = this.ln1.apply(x); // [B, T, D]
      const rows = (v: Value) => (q === undefined ? v : op.slice(v, [0], [q], [1])); // [B, Q, D]
      const a = this.attn.apply(rows(h), { memory: h, keyPaddingMask: o.keyPaddingMask, causal: this.cfg.causal }); // [B, Q, D]
      return this.feedForward(this.crossAttend(op.add(rows(x), a), o)); // [B, Q, D]
    });
  }

  /**
   * One decoding step with a self-attention KV cache: the new tokens x
   * [B, T_new, D] attend to `past` plus themselves. Returns the output and
   * the extended cache.
   */
  applyCached(x: Value, past: KeyValues, o: BlockOptions & { pastMask?: Value } = {}): { y: Value; present: KeyValues } {
    if (!this.cfg.causal) throw new Error(`transformer block ${this.path}: a KV cache needs causal self-attention`);
    return this.g.withScope(this.name, () => {
      const { y: a, present } = this.attn.applyCached(this.ln1.apply(x), past, { pastMask: o.pastMask }); // [B, T_new, D]
      return { y: this.feedForward(this.crossAttend(op.add(x, a), o)), present }; // [B, T_new, D]
    });
  }

  private crossAttend(x: Value, o: BlockOptions): Value {
    if (!this.cross || !this.lnCross) return x;
    if (!o.memory) throw new Error(`transformer block ${this.path}: cross-attention needs a memory`);
    const kv = 'k' in o.memory ? o.memory : this.cross.projectKeyValues(o.memory);
    return op.add(x, this.cross.attendTo(this.lnCross.apply(x), kv, { keyPaddingMask: o.memoryMask })); // [B, T, D]
  }

  private feedForward(x: Value): Value {
    return this.mlp ? op.add(x, this.mlp.apply(this.ln2.apply(x))) : x; // [B, T, D]
  }
}
