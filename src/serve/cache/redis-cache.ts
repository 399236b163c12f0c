/**
 * The cache on Redis (ioredis): `SET key value PX ttl`, `GET key`, under a
 * key prefix. Values over maxBytes are not stored (Redis's own maxmemory
 * policy bounds the total). A Redis error or timeout reads as a miss.
 */
import { Redis } from 'ioredis';
import type { CacheOptions, ResultCache } from './cache.js';

export interface RedisCacheOptions extends CacheOptions {
  url: string;
  keyPrefix: string;
  /** Longest a command may take before it counts as a miss (ms, default 250). */
  commandTimeoutMs?: number;
}

export class RedisCache implements ResultCache {
  readonly kind = 'redis';

  private constructor(
    private readonly redis: Redis,
    private readonly o: RedisCacheOptions,
  ) {}

  /** Connects (failing clearly when Redis cannot be reached). */
  static async connect(o: RedisCacheOptions): Promise<RedisCache> {
    const redis = new Redis(o.url, {
      lazyConnect: true,
      maxRetriesPerRequest: 1,
      connectTimeout: 2000,
      commandTimeout: o.commandTimeoutMs ?? 250,
      enableOfflineQueue: true,
      retryStrategy: (times) => Math.min(times * 200, 2000),
    });
    redis.on('error', (e: Error) => o.onError?.(e)); // reconnects on its own; keep the process alive
    try {
      await redis.connect();
      await redis.ping();
    } catch (e) {
      redis.disconnect();
      throw new Error(`cannot reach the Redis cache at ${o.url}: ${(e as Error).message}`);
    }
    return new RedisCache(redis, o);
  }

  async get(key: string): Promise<string | undefined> {
    try {
      return (await this.redis.get(this.o.keyPrefix + key)) ?? undefined;
    } catch (e) {
      this.o.onError?.(e as Error);
      return undefined;
    }
  }

  async set(key: string, value: string): Promise<void> {
    if (key.length + value.length > this.o.maxBytes) return;
    try {
      await this.redis.set(this.o.keyPrefix + key, value, 'PX', Math.round(this.o.ttlSeconds * 1000));
    } catch (e) {
      this.o.onError?.(e as Error);
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await this.redis.del(this.o.keyPrefix + key);
    } catch (e) {
      this.o.onError?.(e as Error);
    }
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
