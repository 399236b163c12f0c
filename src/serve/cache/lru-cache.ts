/**
 * The in-process cache: least-recently-used eviction over a Map (insertion
 * order = recency), bounded by entries and by bytes, each entry expiring
 * after the TTL.
 */
import type { CacheOptions, ResultCache } from './cache.js';

interface Entry {
  value: string;
  expires: number;
  bytes: number;
}

export class LruCache implements ResultCache {
  readonly kind = 'lru';
  private readonly map = new Map<string, Entry>();
  private bytes = 0;

  constructor(
    private readonly o: CacheOptions,
    /** Clock in ms (tests move it). */
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.map.size;
  }

  async get(key: string): Promise<string | undefined> {
    const e = this.map.get(key);
    if (!e) return undefined;
    if (e.expires <= this.now()) {
      this.remove(key, e);
      return undefined;
    }
    this.map.delete(key); // most recently used goes last
    this.map.set(key, e);
    return e.value;
  }

  async set(key: string, value: string): Promise<void> {
    const bytes = 2 * (key.length + value.length); // UTF-16 in memory
    const old = this.map.get(key);
    if (old) this.remove(key, old);
    if (bytes > this.o.maxBytes) return;
    this.map.set(key, { value, expires: this.now() + this.o.ttlSeconds * 1000, bytes });
    this.bytes += bytes;
    for (const [k, e] of this.map) {
      if (this.map.size <= this.o.maxEntries && this.bytes <= this.o.maxBytes) break;
      this.remove(k, e); // oldest first
    }
  }

  async delete(key: string): Promise<void> {
    const e = this.map.get(key);
    if (e) this.remove(key, e);
  }

  async close(): Promise<void> {
    this.map.clear();
    this.bytes = 0;
  }

  private remove(key: string, e: Entry): void {
    this.map.delete(key);
    this.bytes -= e.bytes;
  }
}
