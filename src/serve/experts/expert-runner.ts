/**
 * What a shard computes: for each owned expert e and each MoE layer, a small
 * ONNX graph y = ExpertFfn(x) [1, C, D] → [1, C, D] with the expert's
 * weights baked in, compiled once. The same module the MoE layer traces
 * (moe/experts.ts), so the outputs equal the in-graph experts'.
 */
import { emitModel } from '../../graph/emit-onnx.js';
import { Graph } from '../../graph/graph.js';
import type { HostTensor } from '../../graph/host-tensor.js';
import type { ModelConfig } from '../../model/config.js';
import { FusionStack } from '../../model/fusion.js';
import { ExpertFfn } from '../../moe/experts.js';
import { paramsFor } from '../../runtime/export-onnx.js';
import { Session, type SessionOptions } from '../../runtime/session.js';
import type { ShardInfo } from './expert-transport.js';

/** Parameter paths of the model's MoE layers in depth order, e.g. `fusion.layers.1.moe`. */
export function moeLayerPaths(cfg: ModelConfig): string[] {
  const fusion = new FusionStack(new Graph('moe-layers'), 'fusion', cfg);
  return fusion.moe.flatMap((m) => (m ? [m.path] : []));
}

/** The graph of expert `expert` of the MoE layer at `layerPath`: input `x` [1, C, D], output `y` [1, C, D]. */
export function buildExpertGraph(cfg: ModelConfig, layerPath: string, expert: number): Graph {
  const { dim, hidden } = cfg.fusion.moe;
  const g = new Graph(`${layerPath}.experts.${expert}`);
  const x = g.input('x', 'float32', [1, 'C', dim]); // [1, C, D]
  const ffn = g.withScope(`${layerPath}.experts`, () => new ExpertFfn(g, String(expert), dim, hidden));
  g.output('y', ffn.apply(x)); // [1, C, D]
  return g;
}

/** The parameters of experts `experts` of every MoE layer (what a shard needs), taken from `params`. */
export function expertParams(cfg: ModelConfig, params: ReadonlyMap<string, HostTensor>, experts: readonly number[]): Map<string, HostTensor> {
  const out = new Map<string, HostTensor>();
  for (const layer of moeLayerPaths(cfg)) {
    for (const e of experts) for (const [k, v] of paramsFor(buildExpertGraph(cfg, layer, e), params)) out.set(k, v);
  }
  return out;
}

/** A run request the shard cannot serve (unknown expert or layer, wrong size): the caller's mistake, not the shard's failure. */
export class ExpertRequestError extends Error {}

export class ExpertRunner {
  readonly layers: string[];
  private readonly owned: Set<number>;
  private readonly sessions = new Map<string, Promise<Session>>();

  /** `params` must hold the owned experts' parameters (extra ones are ignored). */
  constructor(
    readonly cfg: ModelConfig,
    readonly params: ReadonlyMap<string, HostTensor>,
    readonly experts: readonly number[],
    readonly sessionOptions: SessionOptions = {},
  ) {
    this.layers = moeLayerPaths(cfg);
    if (this.layers.length === 0) throw new Error(`model ${cfg.core.name} has no MoE layers to shard`);
    const E = cfg.fusion.moe.numExperts;
    for (const e of experts) if (!Number.isInteger(e) || e < 0 || e >= E) throw new Error(`expert ${e} does not exist (model ${cfg.core.name} has experts 0-${E - 1})`);
    if (experts.length === 0) throw new Error('a shard needs at least one expert');
    this.owned = new Set(experts);
    for (const layer of this.layers) for (const e of experts) paramsFor(buildExpertGraph(cfg, layer, e), params); // fail now on missing weights
  }

  get info(): ShardInfo {
    return { model: this.cfg.core.name, experts: [...this.experts], layers: this.layers.length, dim: this.cfg.core.dim, numExperts: this.cfg.fusion.moe.numExperts };
  }

  /** Compiles every owned (layer, expert) graph now rather than on first use. */
  async warm(): Promise<void> {
    await Promise.all(this.layers.flatMap((_, l) => this.experts.map((e) => this.session(l, e))));
  }

  /** Runs expert `expert` of MoE layer `layer` on `input` [rows, D] → [rows, D]. */
  async run(layer: number, expert: number, input: Float32Array, rows: number): Promise<Float32Array> {
    const D = this.cfg.core.dim;
    if (!this.owned.has(expert)) throw new ExpertRequestError(`this shard does not serve expert ${expert} (it serves ${this.experts.join(', ')})`);
    if (!Number.isInteger(layer) || layer < 0 || layer >= this.layers.length) throw new ExpertRequestError(`MoE layer ${layer} does not exist (the model has ${this.layers.length})`);
    if (!Number.isInteger(rows) || rows < 0 || input.length !== rows * D) throw new ExpertRequestError(`input has ${input.length} floats, expected rows ${rows} × D ${D}`);
    if (rows === 0) return new Float32Array(0);
    const s = await this.session(layer, expert);
    const out = await s.run({ x: { dtype: 'float32', shape: [1, rows, D], data: input } });
    return out.y!.data as Float32Array;
  }

  async close(): Promise<void> {
    const all = [...this.sessions.values()];
    this.sessions.clear();
    for (const s of all) await (await s.catch(() => null))?.release();
  }

  private session(layer: number, expert: number): Promise<Session> {
    const key = `${layer}/${expert}`;
    let s = this.sessions.get(key);
    if (!s) {
      const g = buildExpertGraph(this.cfg, this.layers[layer]!, expert);
      s = Session.create(emitModel(g, { paramValues: paramsFor(g, this.params) }), this.sessionOptions);
      this.sessions.set(key, s);
      s.catch(() => this.sessions.delete(key));
    }
    return s;
  }
}
