/**
 * The causal text decoder: token + position embeddings, pre-norm blocks with
 * causal self-attention and cross-attention to the fused multimodal tokens,
 * a final norm and a vocabulary projection. Runs teacher-forced (training)
 * or step by step with a KV cache (generation).
 */
import type { Graph } from '../graph/graph.js';
import * as op from '../graph/ops/index.js';
import type { Value } from '../graph/value.js';
import type { KeyValues } from '../nn/attention.js';
import { validateConfig, type ConfigOf, type ConfigSchema } from '../nn/config.js';
import { Embedding } from '../nn/embedding.js';
import { LayerNorm } from '../nn/layer-norm.js';
import { Linear } from '../nn/linear.js';
import { TransformerBlock } from '../nn/transformer-block.js';

export interface TextDecoderConfig {
  /** Vocabulary size V (the tokenizer's). */
  vocabSize: number;
  /** Width D. */
  dim: number;
  /** Attention heads. */
  heads: number;
  /** Number of decoder blocks. */
  layers: number;
  /** MLP width ratio (default 4). */
  mlpRatio?: number;
  /** Longest sequence (prompt + answer) in tokens; sizes the position table. */
  maxLen: number;
  /** Width of the memory it cross-attends to (default dim). */
  memoryDim?: number;
}

export const TEXT_DECODER_SCHEMA = {
  vocabSize: { type: 'integer', min: 2 },
  dim: { type: 'integer', min: 1 },
  heads: { type: 'integer', min: 1 },
  layers: { type: 'integer', min: 1 },
  mlpRatio: { type: 'number', min: 0, default: 4 },
  maxLen: { type: 'integer', min: 1 },
  memoryDim: { type: 'integer', min: 1, optional: true },
} as const satisfies ConfigSchema<TextDecoderConfig>;

export class TextDecoder {
  readonly cfg: ConfigOf<typeof TEXT_DECODER_SCHEMA>;
  readonly path: string;
  readonly tokens: Embedding;
  readonly positions: Embedding;
  readonly blocks: TransformerBlock[];
  readonly norm: LayerNorm;
  readonly head: Linear;

  constructor(
    readonly g: Graph,
    readonly name: string,
    cfg: TextDecoderConfig,
  ) {
    this.path = g.scope ? `${g.scope}.${name}` : name;
    this.cfg = validateConfig(cfg, TEXT_DECODER_SCHEMA, `text decoder config at ${this.path}`);
    const { vocabSize, dim, heads, layers, mlpRatio, maxLen } = this.cfg;
    const memoryDim = this.cfg.memoryDim ?? dim;
    [this.tokens, this.positions, this.blocks, this.norm, this.head] = g.withScope(name, () => [
      new Embedding(g, 'tokens', { vocabSize, dim }),
      new Embedding(g, 'positions', { vocabSize: maxLen, dim }),
      g.withScope('layers', () =>
        Array.from({ length: layers }, (_, i) => new TransformerBlock(g, String(i), { dim, heads, mlpRatio, causal: true, crossAttention: true, memoryDim })),
      ),
      new LayerNorm(g, 'norm', { dim }),
      new Linear(g, 'head', { inFeatures: dim, outFeatures: vocabSize, bias: false, init: 'normal' }),
    ]);
  }

  /** Teacher-forced: ids [B, T] (int64) → logits [B, T, V], attending to `memory` [B, S, Dm]. */
  apply(ids: Value, memory: Value, memoryMask?: Value): Value {
    return this.g.withScope(this.name, () => {
      const t = op.gather(op.shapeOf(ids), this.g.scalar(1, 'int64')); // [] T
      let h = this.embed(ids, this.g.scalar(0, 'int64'), t); // [B, T, D]
      this.blocks.forEach((b) => (h = b.apply(h, { memory, memoryMask }))); // [B, T, D]
      return this.head.apply(this.norm.apply(h)); // [B, T, V]
    });
  }

  /** The cross-attention keys/values of every block for `memory`, computed once per generation. */
  projectMemory(memory: Value): KeyValues[] {
    return this.g.withScope(this.name, () => this.blocks.map((b) => b.cross!.projectKeyValues(memory)));
  }

  /**
   * One cached step: new ids [B, T_new] at positions P..P+T_new−1, where P is
   * the cached length; returns logits [B, T_new, V] and each block's extended cache.
   */
  applyCached(
    ids: Value,
    past: KeyValues[],
    memoryKV: KeyValues[],
    memoryMask?: Value,
    o: {
      /** int64 [B, T_new]: each new token's position (rows of a batch may be at different lengths). Default P..P+T_new−1. */
      positions?: Value;
      /** bool [B, P]: which cache slots are real (rows' caches padded to one length). */
      pastMask?: Value;
      /**
       * bool [B, T_new]: which new tokens are real (rows right-padded to the
       * longest). Given, the logits are each row's at its last real new token
       * only, [B, V]: the vocabulary projection runs once per row.
       */
      newMask?: Value;
    } = {},
  ): { logits: Value; present: KeyValues[] } {
    if (past.length !== this.blocks.length || memoryKV.length !== this.blocks.length) {
      throw new Error(`text decoder ${this.path}: expected caches for ${this.blocks.length} layers`);
    }
    return this.g.withScope(this.name, () => {
      const start = op.gather(op.shapeOf(past[0]!.k), this.g.scalar(2, 'int64')); // [] P
      const count = op.gather(op.shapeOf(ids), this.g.scalar(1, 'int64')); // [] T_new
      let h = o.positions
        ? op.add(this.tokens.apply(ids), this.positions.apply(o.positions)) // [B, T_new, D]
        : this.embed(ids, start, count); // [B, T_new, D]
      const present: KeyValues[] = [];
      this.blocks.forEach((b, i) => {
        const r = b.applyCached(h, past[i]!, { memory: memoryKV[i]!, memoryMask, pastMask: o.pastMask });
        h = r.y; // [B, T_new, D]
        present.push(r.present);
      });
      const out = o.newMask ? lastRealRow(h, o.newMask) : h; // [B, D] or [B, T_new, D]
      return { logits: this.head.apply(this.norm.apply(out)), present }; // [B, V] or [B, T_new, V]
    });
  }

  /** Token embeddings plus learned positions start..start+count−1: [B, T, D]. */
  private embed(ids: Value, start: Value, count: Value): Value {
    const pos = op.range(start, op.add(start, count), this.g.scalar(1, 'int64')); // [T]
    return op.add(this.tokens.apply(ids), this.positions.apply(pos)); // [B, T, D]
  }
}

/** Each row's hidden state at its last real new token: h [B, T, D] at index Σ mask − 1 of mask [B, T]. */
function lastRealRow(h: Value, mask: Value): Value {
  const last = op.sub(op.reduceSum(op.cast(mask, 'int64'), [1], true), h.graph.scalar(1, 'int64')); // [B, 1]
  const index = op.expand(op.unsqueeze(last, [2]), [1, 1, h.shape[2] as number]); // [B, 1, D]
  return op.squeeze(op.gatherElements(h, index, 1), [1]); // [B, D]
}
