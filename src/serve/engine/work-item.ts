/**
 * A request inside the engine, from submission to its result: what it asks
 * (embed, route, generate), its inputs, its place in the queue and how it
 * ends (resolve or reject, exactly once).
 */
import type { Modality } from '../../model/modalities.js';
import type { EmbedResult, GenerateResult, ModelInput, RouteResult, RoutingVariant } from '../engine-api.js';
import type { GenerationState } from './generation-state.js';

export type WorkKind = 'embed' | 'route' | 'generate';

export interface WorkResults {
  embed: EmbedResult;
  route: RouteResult;
  generate: GenerateResult;
}

export interface WorkItem<K extends WorkKind = WorkKind> {
  id: number;
  kind: K;
  input: ModelInput;
  signature: Modality[];
  /** Queue key: requests with the same key may share a batch. */
  key: string;
  priority: number;
  /** performance.now() at submission (ms). */
  enqueuedAt: number;
  /** Date.now() past which the request fails with a timeout (ms since epoch). */
  deadline: number;
  variant?: RoutingVariant;
  signal?: AbortSignal;
  /** generate only: decoding state (sampling, stop strings, streaming). */
  gen?: GenerationState;
  settled: boolean;
  resolve(v: WorkResults[K]): void;
  reject(e: Error): void;
}

/** The queue key of a request: embeddings by signature; encodes by signature and routing variant. */
export function queueKey(kind: WorkKind, signature: readonly Modality[], variant?: RoutingVariant): string {
  const sig = signature.join('+');
  if (kind === 'embed') return `embed|${sig}`;
  const v = variant ? `${variant.name}:${variant.gateStrategy ?? ''}:${variant.topK ?? ''}:${variant.capacityFactor ?? ''}` : '';
  return `${kind === 'route' ? 'route' : 'encode'}|${sig}|${v}`;
}

/** Settles an item once: later calls are ignored (a timeout racing a result). */
export function settle<K extends WorkKind>(item: WorkItem<K>, result: { value: WorkResults[K] } | { error: Error }): void {
  if (item.settled) return;
  item.settled = true;
  if ('error' in result) item.reject(result.error);
  else item.resolve(result.value);
}
