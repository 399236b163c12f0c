/**
 * Text encoder: token embedding + learned absolute positions (GPT-2 / BERT),
 * then the transformer stack with the padding mask; pooled = mean over the
 * real tokens.
 */
import type { Graph } from '../../graph/graph.js';
import * as op from '../../graph/ops/index.js';
import { formatShape } from '../../graph/shape.js';
import type { Value } from '../../graph/value.js';
import { Embedding } from '../../nn/embedding.js';
import { validateTextEncoderConfig, type TextEncoderConfig, type TextEncoderOptions } from './config.js';
import { checkInput, EncoderStack, positionRows, type EncodeOptions, type EncoderResult } from './encoder-common.js';

/**
 * Parameters `<path>.tokens.weight` [vocabSize, D], `<path>.positions.weight`
 * [maxTextLen, D], and the stack's `<path>.layers.*`, `<path>.norm.*`.
 */
export class TextEncoder {
  readonly cfg: TextEncoderOptions;
  /** Parameter path prefix, e.g. `text`. */
  readonly path: string;
  readonly tokens: Embedding;
  readonly positions: Embedding;
  readonly stack: EncoderStack;

  constructor(
    readonly g: Graph,
    readonly name: string,
    cfg: TextEncoderConfig,
  ) {
    this.path = g.scope ? `${g.scope}.${name}` : name;
    this.cfg = validateTextEncoderConfig(cfg, `TextEncoder config at ${this.path}`);
    const { dim, vocabSize, maxTextLen } = this.cfg;
    [this.tokens, this.positions, this.stack] = g.withScope(name, () => [
      new Embedding(g, 'tokens', { vocabSize, dim }),
      new Embedding(g, 'positions', { vocabSize: maxTextLen, dim }),
      new EncoderStack(g, this.cfg),
    ]);
  }

  /**
   * ids int64/int32 [B, T] and mask bool [B, T] (true = real token) →
   * tokens [B, T, D], pooled [B, D] (masked mean), mask [B, T] (the input).
   * T may be a named dim; a static T must be ≤ maxTextLen (a named one is
   * checked by ONNX Runtime's Gather at run time). Padded positions never
   * reach the pooled vector nor, through attention, the real tokens.
   * `o.pooledOnly`: see EncoderStack.applyPooled.
   */
  apply<P extends boolean = false>(ids: Value, mask: Value, o: EncodeOptions<P> = {}): EncoderResult<P> {
    const what = `TextEncoder ${this.path}`;
    checkInput(ids, `${what}: input ids`, ['int64', 'int32'], ['batch', 'length']);
    checkInput(mask, `${what}: input mask`, ['bool'], ['batch', 'length']);
    if (ids.shape.some((d, i) => typeof d === 'number' && typeof mask.shape[i] === 'number' && d !== mask.shape[i])) {
      throw new Error(`${what}: ids ${formatShape(ids.shape)} and mask ${formatShape(mask.shape)} differ in shape`);
    }
    const t = ids.shape[1]!;
    if (typeof t === 'number' && t > this.cfg.maxTextLen) {
      throw new Error(`${what}: input ids ${formatShape(ids.shape)}: length ${t} exceeds maxTextLen ${this.cfg.maxTextLen}`);
    }
    return this.g.withScope(this.name, () => {
      const tok = this.tokens.apply(ids); // [B, T, D]
      const pos = positionRows(this.positions.weight, t, { value: ids, axis: 1 }); // [T, D]
      return { ...this.stack.applyPooled(op.add(tok, pos), mask, o), mask }; // [B, T, D], [B, D], [B, T]
    });
  }
}
