/**
 * Expert parallelism behind the InferenceBackend seam: the dense parts of the
 * encode graph run here; each MoE layer's experts run on shards (worker
 * threads or gRPC servers). Per (signature, variant) the encode graph is
 * traced in split mode, cut at every MoE layer (graph/partition.ts) and
 * compiled; a request runs segment 0 → tokens to the shards (in parallel) →
 * segment 1 → … and returns the same outputs as the local encode graph. The
 * decoder runs locally.
 *
 * A shard that is down fails the requests that need it with
 * UnavailableError (HTTP 503); the backend stays usable and succeeds again
 * once the shard is back.
 */
import type { HostTensor } from '../../graph/host-tensor.js';
import { partitionGraph } from '../../graph/partition.js';
import type { ModelConfig } from '../../model/config.js';
import type { DecoderStepper } from '../../model/decoder-batch.js';
import { buildEncodeGraph, expertsCut } from '../../model/inference-graphs.js';
import { modalitySignature, type Modality } from '../../model/modalities.js';
import { ModelRuntime } from '../../model/model-runtime.js';
import type { SessionOptions } from '../../runtime/session.js';
import { encodeOptionsOf } from '../backend/local-backend.js';
import { modelVersionOf } from '../backend/model-version.js';
import { UnavailableError, type InferenceBackend, type RoutingVariant } from '../engine-api.js';
import { moeLayerPaths } from './expert-runner.js';
import { expertOwners, type ExpertPlacement, type ExpertTransport } from './expert-transport.js';
import { PartitionedSession } from './partitioned-session.js';

export interface ShardedBackendOptions {
  cfg: ModelConfig;
  /** The dense parameters (encoders, router, fusion, decoder); expert parameters may be left out. */
  params: ReadonlyMap<string, HostTensor>;
  /** Who runs which experts; every expert exactly once. */
  shards: ExpertPlacement[];
  /** Changes whenever the weights change (default: the hash of the config and `params`, as LocalBackend's, so both share cache entries). */
  modelVersion?: string;
  sessionOptions?: SessionOptions;
  /**
   * A local backend of the same weights: when given, embed() and decoder()
   * use it instead of compiling their own sessions (it stays the caller's to close).
   */
  local?: InferenceBackend;
}

export class ShardedBackend implements InferenceBackend {
  readonly cfg: ModelConfig;
  readonly modelVersion: string;
  readonly layers: number;
  private readonly owners: ExpertTransport[];
  private readonly runtime: ModelRuntime;
  private readonly compiled = new Map<string, Promise<PartitionedSession>>();
  private closed = false;

  constructor(readonly o: ShardedBackendOptions) {
    this.cfg = o.cfg;
    this.modelVersion = o.modelVersion ?? modelVersionOf(o.cfg, o.params);
    this.layers = moeLayerPaths(o.cfg).length;
    this.owners = expertOwners(o.shards, o.cfg.fusion.moe.numExperts);
    this.runtime = new ModelRuntime(o.cfg, o.params, o.sessionOptions);
  }

  async encode(signature: Modality[], feeds: Record<string, HostTensor>, variant?: RoutingVariant): Promise<Record<string, HostTensor>> {
    if (this.closed) throw new UnavailableError('the sharded backend is closed');
    const session = await this.session(modalitySignature(signature), variant);
    return session.run(feeds, (layer, buffer, env) => this.runExperts(layer, buffer, env));
  }

  /** Embeddings only (encoders and heads: no MoE, so all local). */
  embed(signature: Modality[], feeds: Record<string, HostTensor>): Promise<Record<string, HostTensor>> {
    const local = this.o.local;
    if (local) return local.embed ? local.embed(signature, feeds) : local.encode(signature, feeds);
    return this.runtime.embed(signature, feeds);
  }

  async decoder(): Promise<DecoderStepper> {
    if (this.o.local) return this.o.local.decoder();
    return (await this.runtime.generator()).stepper;
  }

  /** Releases the sessions and closes the shard transports. */
  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.compiled.values()];
    this.compiled.clear();
    for (const s of all) await (await s.catch(() => null))?.release();
    await this.runtime.release();
    for (const p of this.o.shards) await p.transport.close();
  }

  /** The compiled segments of a (signature, variant), built once. */
  private session(sig: Modality[], variant?: RoutingVariant): Promise<PartitionedSession> {
    const go = encodeOptionsOf(variant);
    const key = `${sig.join('+')}|${go.gateStrategy ?? 'learned'}|${go.moe?.topK ?? ''}|${go.moe?.capacityFactorEval ?? ''}`;
    let s = this.compiled.get(key);
    if (!s) {
      s = (async () => {
        const g = buildEncodeGraph(this.cfg, sig, { ...go, splitExperts: true });
        const values = new Map([...g.params.keys()].flatMap((k) => (this.o.params.has(k) ? [[k, this.o.params.get(k)!] as const] : [])));
        const cuts = Array.from({ length: this.layers }, (_, i) => expertsCut(i));
        const p = partitionGraph(g, cuts, { paramValues: values });
        const fed = new Set([...g.inputs.map((v) => v.name)]);
        for (const seg of p.segments) {
          const missing = seg.inputs.filter((n) => !fed.has(n) && g.params.has(n));
          if (missing.length > 0) throw new Error(`the sharded backend's weights lack ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ', …' : ''}`);
        }
        return PartitionedSession.create(p, this.o.sessionOptions);
      })();
      this.compiled.set(key, s);
      s.catch(() => this.compiled.delete(key));
    }
    return s;
  }

  /**
   * The experts of MoE layer `layer` on buffer [E, C, D]: each expert's rows
   * go to its shard, all in parallel, and come back into [E, C, D]. Token
   * choice fills slots 0..count−1 of each expert, so only those rows are
   * sent (empty slots are never read by the combine); expert choice sends all C.
   */
  private async runExperts(layer: number, buffer: HostTensor, env: Readonly<Record<string, HostTensor>>): Promise<HostTensor> {
    const [E, C, D] = buffer.shape as [number, number, number];
    const data = buffer.data as Float32Array;
    const counts = this.cfg.fusion.moe.routing === 'expert-choice' ? null : env[`moe.${layer}.tokens_per_expert`];
    const out = new Float32Array(E * C * D);
    const calls: Promise<void>[] = [];
    for (let e = 0; e < E; e++) {
      const rows = counts ? Math.min(C, Number((counts.data as BigInt64Array)[e])) : C;
      if (rows === 0) continue;
      const input = data.slice(e * C * D, (e * C + rows) * D); // [rows, D], an own buffer (may be transferred)
      calls.push(this.owners[e]!.run(layer, e, input, rows).then((y) => out.set(y, e * C * D)));
    }
    const results = await Promise.allSettled(calls);
    const failed = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as Error] : []));
    if (failed.length > 0) throw failed.find((e) => e instanceof UnavailableError) ?? failed[0]!;
    return { dtype: 'float32', shape: [E, C, D], data: out };
  }
}
