/**
 * The result cache seam: string values under string keys, with a TTL and
 * size bounds set when the cache is made. Implementations: the in-process
 * LRU (lru-cache.ts, the embedded default) and Redis (redis-cache.ts); both
 * pass cache.contract.test.ts. A cache never fails a request: errors read as
 * misses and are reported to `onError`.
 */
export interface ResultCache {
  readonly kind: 'lru' | 'redis';
  get(key: string): Promise<string | undefined>;
  /** Stores `value` for the configured TTL (values over the size bound are not stored). */
  set(key: string, value: string): Promise<void>;
  delete(key: string): Promise<void>;
  close(): Promise<void>;
}

export interface CacheOptions {
  /** Seconds an entry lives. */
  ttlSeconds: number;
  /** Most entries (LRU). */
  maxEntries: number;
  /** Most bytes held (LRU) / largest value stored (Redis). */
  maxBytes: number;
  /** Called on a backend error (the operation then acts as a miss / no-op). */
  onError?: (e: Error) => void;
}
