/**
 * A loaded model ready for inference: weights in memory, one ONNX Runtime
 * session per (modality signature, gate strategy) compiled on first use, and
 * the KV-cached generator for the decoder.
 */
import { emitModel } from '../graph/emit-onnx.js';
import type { HostTensor } from '../graph/host-tensor.js';
import { paramsFor } from '../runtime/export-onnx.js';
import { Session, type SessionOptions } from '../runtime/session.js';
import type { ModelConfig } from './config.js';
import { Generator } from './generation.js';
import { buildEmbedGraph, buildEncodeGraph, decoderConfigOf, type EncodeGraphOptions } from './inference-graphs.js';
import { modalitySignature, type Modality } from './modalities.js';

export class ModelRuntime {
  private readonly encoders = new Map<string, Promise<Session>>();
  private generatorPromise?: Promise<Generator>;

  constructor(
    readonly cfg: ModelConfig,
    readonly params: ReadonlyMap<string, HostTensor>,
    readonly sessionOptions: SessionOptions = {},
  ) {}

  /** The encode session of a signature (compiled once, then shared). */
  encodeSession(signature: Iterable<Modality>, o: EncodeGraphOptions = {}): Promise<Session> {
    const sig = modalitySignature(signature);
    const key = `${sig.join('+')}|${o.gateStrategy ?? 'learned'}|${o.moe?.topK ?? ''}|${o.moe?.capacityFactorEval ?? ''}`;
    let s = this.encoders.get(key);
    if (!s) {
      const g = buildEncodeGraph(this.cfg, sig, o);
      s = Session.create(emitModel(g, { paramValues: paramsFor(g, this.params) }), this.sessionOptions);
      this.encoders.set(key, s);
      s.catch(() => this.encoders.delete(key)); // a failed compile may be retried
    }
    return s;
  }

  /** Runs the encode graph of the modalities in `feeds` (see model-inputs.ts for the input names). */
  async encode(signature: Iterable<Modality>, feeds: Record<string, HostTensor>, o: EncodeGraphOptions = {}): Promise<Record<string, HostTensor>> {
    return (await this.encodeSession(signature, o)).run(feeds);
  }

  /**
   * Embeddings only (encoders + projection heads, no fusion): `embedding.<m>`
   * [B, E] for each modality of the signature. Sessions are cached like encode's.
   */
  async embed(signature: Iterable<Modality>, feeds: Record<string, HostTensor>): Promise<Record<string, HostTensor>> {
    const sig = modalitySignature(signature);
    const key = `embed|${sig.join('+')}`;
    let s = this.encoders.get(key);
    if (!s) {
      const g = buildEmbedGraph(this.cfg, sig);
      s = Session.create(emitModel(g, { paramValues: paramsFor(g, this.params) }), this.sessionOptions);
      this.encoders.set(key, s);
      s.catch(() => this.encoders.delete(key));
    }
    return (await s).run(feeds);
  }

  /** The decoder's KV-cached generator. */
  generator(): Promise<Generator> {
    this.generatorPromise ??= Generator.create(decoderConfigOf(this.cfg), this.params, this.sessionOptions);
    return this.generatorPromise;
  }

  async release(): Promise<void> {
    for (const s of this.encoders.values()) await (await s).release();
    if (this.generatorPromise) await (await this.generatorPromise).release();
  }
}
