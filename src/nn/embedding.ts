/** Embedding: a learned table [vocab, dim] looked up by integer ids of any shape. */
import type { Graph } from '../graph/graph.js';
import * as op from '../graph/ops/index.js';
import type { Value } from '../graph/value.js';
import { validateConfig, type ConfigOf, type ConfigSchema } from './config.js';

export interface EmbeddingConfig {
  /** Number of rows (token vocabulary, positions, modality ids...). */
  vocabSize: number;
  /** Size of each embedding vector. */
  dim: number;
  /** Std of the N(0, initStd²) init truncated at ±2σ (default 0.02, as GPT-2). */
  initStd?: number;
}

export const EMBEDDING_SCHEMA = {
  vocabSize: { type: 'integer', min: 1 },
  dim: { type: 'integer', min: 1 },
  initStd: { type: 'number', min: 0, default: 0.02 },
} as const satisfies ConfigSchema<EmbeddingConfig>;

/** Parameter `<scope>.<name>.weight` [vocab, dim]; `apply(ids)` gathers its rows. */
export class Embedding {
  readonly cfg: ConfigOf<typeof EMBEDDING_SCHEMA>;
  /** Parameter path prefix, e.g. `text.tokens`. */
  readonly path: string;
  readonly weight: Value; // [V, D]

  constructor(
    readonly g: Graph,
    readonly name: string,
    cfg: EmbeddingConfig,
  ) {
    this.path = g.scope ? `${g.scope}.${name}` : name;
    this.cfg = validateConfig(cfg, EMBEDDING_SCHEMA, `Embedding config at ${this.path}`);
    const { vocabSize, dim, initStd } = this.cfg;
    this.weight = g.withScope(name, () => g.param('weight', [vocabSize, dim], { kind: 'normal', std: initStd })); // [V, D]
  }

  /**
   * Rows of the table for int64 (or int32) `ids` [...] → [..., D]. Ids must be
   * in [-V, V); ONNX Gather counts negative ids from the end and fails at run
   * time on ids out of range.
   */
  apply(ids: Value): Value {
    if (ids.dtype !== 'int64' && ids.dtype !== 'int32') {
      throw new Error(`Embedding ${this.path}: ids must be int64 or int32, got ${ids.dtype}`);
    }
    return this.g.withScope(this.name, () => op.gather(this.weight, ids, 0)); // [..., D]
  }
}
