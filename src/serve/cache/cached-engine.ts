/**
 * The cache layer as an Engine around an Engine: a lookup before the inner
 * engine runs, a store after. Streaming requests with sampling are not
 * cached; a cached answer to a streaming request streams as one piece.
 */
import type { EmbedResult, Engine, EngineStats, GenerateParams, GenerateResult, ModelInput, RequestMeta, RouteResult, RoutingVariant } from '../engine-api.js';
import type { ResultCache } from './cache.js';
import { cacheKey } from './cache-key.js';

export type CacheKind = 'embed' | 'generate' | 'route';

export interface CachedEngineOptions {
  /** The served weights' version (part of every key). */
  modelVersion: string;
  /** Observes each lookup (metrics). */
  onLookup?: (kind: CacheKind, hit: boolean) => void;
}

const variantKey = (v?: RoutingVariant) => (v ? { n: v.name, g: v.gateStrategy, k: v.topK, c: v.capacityFactor } : null);

export class CachedEngine implements Engine {
  constructor(
    readonly inner: Engine,
    readonly cache: ResultCache,
    private readonly o: CachedEngineOptions,
  ) {}

  async embed(input: ModelInput, meta?: RequestMeta): Promise<EmbedResult> {
    const key = cacheKey(this.o.modelVersion, 'embed', input, null);
    const hit = await this.lookup('embed', key);
    if (hit) {
      const { m, e } = JSON.parse(hit) as { m: EmbedResult['modality']; e: string };
      const b = Buffer.from(e, 'base64');
      return { modality: m, embedding: new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)) };
    }
    const r = await this.inner.embed(input, meta);
    const bytes = Buffer.from(r.embedding.buffer, r.embedding.byteOffset, r.embedding.byteLength);
    this.store(key, JSON.stringify({ m: r.modality, e: bytes.toString('base64') }));
    return r;
  }

  async generate(input: ModelInput, params: GenerateParams, meta?: RequestMeta, onToken?: (text: string) => void): Promise<GenerateResult> {
    if (onToken && params.temperature > 0) return this.inner.generate(input, params, meta, onToken);
    const p = { t: params.temperature, p: params.topP, n: params.maxTokens, s: params.stop, seed: params.seed ?? null, v: variantKey(meta?.variant) };
    const key = cacheKey(this.o.modelVersion, 'generate', input, p);
    const hit = await this.lookup('generate', key);
    if (hit) {
      const r = JSON.parse(hit) as GenerateResult;
      if (onToken && r.text) onToken(r.text);
      return r;
    }
    const r = await this.inner.generate(input, params, meta, onToken);
    this.store(key, JSON.stringify(r));
    return r;
  }

  async route(input: ModelInput, meta?: RequestMeta): Promise<RouteResult> {
    const key = cacheKey(this.o.modelVersion, 'route', input, { v: variantKey(meta?.variant) });
    const hit = await this.lookup('route', key);
    if (hit) return JSON.parse(hit) as RouteResult;
    const r = await this.inner.route(input, meta);
    this.store(key, JSON.stringify(r));
    return r;
  }

  stats(): EngineStats {
    return this.inner.stats();
  }

  ready(): boolean {
    return this.inner.ready();
  }

  drain(): Promise<void> {
    return this.inner.drain();
  }

  async close(): Promise<void> {
    await this.inner.close();
    await this.cache.close();
  }

  private async lookup(kind: CacheKind, key: string): Promise<string | undefined> {
    const v = await this.cache.get(key);
    this.o.onLookup?.(kind, v !== undefined);
    return v;
  }

  private store(key: string, value: string): void {
    void this.cache.set(key, value); // errors are reported by the cache and never fail the request
  }
}
