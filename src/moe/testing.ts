/**
 * Helpers for the MoE tests: trace one MoeLayer, run it once in ONNX Runtime
 * with given or seeded parameters, and read the outputs as plain numbers.
 */
import { emitModel } from '../graph/emit-onnx.js';
import { Graph } from '../graph/graph.js';
import { hostTensor, type HostTensor } from '../graph/host-tensor.js';
import type { Dim } from '../graph/shape.js';
import type { Value } from '../graph/value.js';
import { initParams } from '../runtime/init-params.js';
import { Session } from '../runtime/session.js';
import type { MoeConfig } from './config.js';
import { MoeLayer, type MoeOutput, type RemoteExperts } from './moe-layer.js';

export interface RunMoeOptions {
  training?: boolean;
  /** Seed of initParams (default 1). */
  seed?: number;
  /** Edits the drawn parameters before the run (e.g. a hand-set router). */
  override?: (params: Map<string, HostTensor>) => void;
  /** Declared dims of x (default its data shape), e.g. ['batch', 'seq', D]. */
  dims?: Dim[];
  /** Per token, row-major over x's leading dims. */
  tokenMask?: readonly boolean[];
  modalityIds?: readonly number[];
  numModalities?: number;
  /** Expert parallelism's hook (MoeApplyOptions.remoteExperts), made from the traced layer. */
  remoteExperts?: (layer: MoeLayer) => RemoteExperts;
  /** Extra values to fetch, by name. */
  fetch?: (layer: MoeLayer, g: Graph, out: MoeOutput) => Record<string, Value>;
}

export interface MoeRun {
  y: Float32Array;
  yShape: number[];
  loadBalanceLoss: number;
  zLoss: number;
  tokensPerExpert: number[];
  droppedTokens: number;
  tokensPerModalityExpert?: number[];
  routerProbsMean: number[];
  capacity: number;
  /** The parameters the run used. */
  params: Map<string, HostTensor>;
  /** Every fetched output, including the extra ones. */
  raw: Record<string, HostTensor>;
  layer: MoeLayer;
  graph: Graph;
  out: MoeOutput;
}

export const nums = (t: HostTensor): number[] => Array.from(t.data as ArrayLike<number | bigint>, Number);

/** Traces `moe` = MoeLayer(cfg) on x, runs it once, returns outputs as numbers. */
export async function runMoe(cfg: MoeConfig, x: HostTensor<'float32'>, o: RunMoeOptions = {}): Promise<MoeRun> {
  const g = new Graph('moe_test');
  const xv = g.input('x', 'float32', o.dims ?? x.shape);
  const lead = x.shape.slice(0, -1);
  const leadDims = (o.dims ?? x.shape).slice(0, -1);
  const feeds: Record<string, HostTensor> = { x };
  let tokenMask: Value | undefined;
  let modalityIds: Value | undefined;
  if (o.tokenMask) {
    tokenMask = g.input('mask', 'bool', leadDims);
    feeds.mask = hostTensor('bool', lead, Uint8Array.from(o.tokenMask, (b) => (b ? 1 : 0)));
  }
  if (o.modalityIds) {
    modalityIds = g.input('modality', 'int64', leadDims);
    feeds.modality = hostTensor('int64', lead, BigInt64Array.from(o.modalityIds, (m) => BigInt(m)));
  }
  const layer = new MoeLayer(g, 'moe', cfg);
  const remoteExperts = o.remoteExperts?.(layer);
  const out = layer.apply(xv, { training: o.training ?? false, tokenMask, modalityIds, numModalities: o.numModalities, remoteExperts });
  const outputs: Record<string, Value> = {
    y: out.y,
    lb: out.loadBalanceLoss,
    z: out.zLoss,
    tpe: out.stats.tokensPerExpert,
    dropped: out.stats.droppedTokens,
    probsMean: out.stats.routerProbsMean,
    capacity: out.stats.capacity,
    ...(out.stats.tokensPerModalityExpert ? { tpme: out.stats.tokensPerModalityExpert } : {}),
    ...(o.fetch?.(layer, g, out) ?? {}),
  };
  const params = initParams(g, o.seed ?? 1);
  o.override?.(params);
  const model = emitModel(g, { outputs: Object.entries(outputs).map(([name, value]) => ({ name, value })), paramValues: params });
  const session = await Session.create(model, { threads: 1 });
  try {
    const raw = await session.run(feeds);
    return {
      y: raw.y!.data as Float32Array,
      yShape: raw.y!.shape,
      loadBalanceLoss: nums(raw.lb!)[0]!,
      zLoss: nums(raw.z!)[0]!,
      tokensPerExpert: nums(raw.tpe!),
      droppedTokens: nums(raw.dropped!)[0]!,
      tokensPerModalityExpert: raw.tpme ? nums(raw.tpme) : undefined,
      routerProbsMean: nums(raw.probsMean!),
      capacity: nums(raw.capacity!)[0]!,
      params,
      raw,
      layer,
      graph: g,
      out,
    };
  } finally {
    await session.release();
  }
}

/** Rows of a flat [N, D] array. */
export function rows(data: ArrayLike<number>, dim: number): number[][] {
  return Array.from({ length: data.length / dim }, (_, n) => Array.from({ length: dim }, (_, d) => data[n * dim + d]!));
}

/** A float32 tensor from nested rows, reshaped to `shape`. */
export function tensor(values: readonly (readonly number[])[] | readonly number[], shape: number[]): HostTensor<'float32'> {
  return hostTensor('float32', shape, Float32Array.from((values as unknown[]).flat() as number[]));
}

/** Deterministic test values in [-1, 1): a small LCG. */
export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32) * 2 - 1;
  };
}

/** Sets a parameter's values in place (shape-checked). */
export function setParam(params: Map<string, HostTensor>, path: string, values: readonly number[]): void {
  const t = params.get(path);
  if (!t) throw new Error(`no parameter ${path}`);
  if (t.data.length !== values.length) throw new Error(`${path}: ${values.length} values for ${t.data.length} elements`);
  (t.data as Float32Array).set(values);
}
