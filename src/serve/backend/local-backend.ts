/**
 * The in-process InferenceBackend: the model's ONNX Runtime sessions
 * (ModelRuntime) on this thread's event loop. A routing variant becomes the
 * encode graph's options (gate strategy, experts per token, capacity
 * factor), each compiled once and cached by ModelRuntime.
 */
import type { HostTensor } from '../../graph/host-tensor.js';
import type { ModelConfig } from '../../model/config.js';
import type { DecoderStepper } from '../../model/decoder-batch.js';
import type { EncodeGraphOptions } from '../../model/inference-graphs.js';
import type { Modality } from '../../model/modalities.js';
import { mediaShape } from '../../model/model-inputs.js';
import { ModelRuntime } from '../../model/model-runtime.js';
import type { SessionOptions } from '../../runtime/session.js';
import type { InferenceBackend, RoutingVariant } from '../engine-api.js';
import { modelVersionOf } from './model-version.js';

/** The encode graph options of a routing variant (none = the model's own routing). */
export function encodeOptionsOf(variant?: RoutingVariant): EncodeGraphOptions {
  if (!variant) return {};
  const o: EncodeGraphOptions = {};
  if (variant.gateStrategy) o.gateStrategy = variant.gateStrategy;
  if (variant.topK !== undefined || variant.capacityFactor !== undefined) o.moe = { topK: variant.topK, capacityFactorEval: variant.capacityFactor };
  return o;
}

export class LocalBackend implements InferenceBackend {
  readonly modelVersion: string;
  private readonly runtime: ModelRuntime;

  constructor(
    readonly cfg: ModelConfig,
    /** The weights by path (shared with the runtime; expert sharding reads them). */
    readonly params: ReadonlyMap<string, HostTensor>,
    /** ONNX Runtime options of every session (threads, spinning); a sharded backend built on this one reuses them. */
    readonly sessionOptions: SessionOptions = {},
  ) {
    this.runtime = new ModelRuntime(cfg, params, sessionOptions);
    this.modelVersion = modelVersionOf(cfg, params);
  }

  encode(signature: Modality[], feeds: Record<string, HostTensor>, variant?: RoutingVariant): Promise<Record<string, HostTensor>> {
    return this.runtime.encode(signature, feeds, encodeOptionsOf(variant));
  }

  embed(signature: Modality[], feeds: Record<string, HostTensor>): Promise<Record<string, HostTensor>> {
    return this.runtime.embed(signature, feeds);
  }

  async decoder(): Promise<DecoderStepper> {
    return (await this.runtime.generator()).stepper;
  }

  /** Compiles and runs once the sessions of these signatures (encode, and embed for one modality) and the decoder, ahead of the first request. */
  async warmup(signatures: Modality[][]): Promise<void> {
    for (const sig of signatures) {
      const feeds = blankFeeds(this.cfg, sig);
      await this.encode(sig, feeds);
      if (sig.length === 1) await this.embed(sig, feeds);
    }
    await this.runtime.generator();
  }

  close(): Promise<void> {
    return this.runtime.release();
  }
}

/** One all-zero example of `signature` (a single text token). */
function blankFeeds(cfg: ModelConfig, signature: Modality[]): Record<string, HostTensor> {
  const feeds: Record<string, HostTensor> = {};
  for (const m of signature) {
    if (m === 'text') {
      feeds.text_ids = { dtype: 'int64', shape: [1, 1], data: BigInt64Array.of(1n) }; // [1, 1]
      feeds.text_mask = { dtype: 'bool', shape: [1, 1], data: Uint8Array.of(1) }; // [1, 1]
    } else {
      const shape = [1, ...mediaShape(cfg, m)];
      feeds[m] = { dtype: 'float32', shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) };
    }
  }
  return feeds;
}
