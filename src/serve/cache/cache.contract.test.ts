/** One contract, run against every ResultCache: the in-process LRU and a real redis-server. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CacheOptions, ResultCache } from './cache.js';
import { LruCache } from './lru-cache.js';
import { RedisCache } from './redis-cache.js';
import { startRedisServer, type RedisTestServer } from './redis-test-server.js';

let redis: RedisTestServer | null = null;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis?.stop();
});

type Make = (o: CacheOptions) => Promise<ResultCache>;
let prefixN = 0;
const implementations: [string, Make, () => boolean][] = [
  ['lru', async (o) => new LruCache(o), () => true],
  ['redis', (o) => RedisCache.connect({ ...o, url: redis!.url, keyPrefix: `test${++prefixN}:` }), () => redis !== null],
];
const opts = (o: Partial<CacheOptions> = {}): CacheOptions => ({ ttlSeconds: 60, maxEntries: 100, maxBytes: 1 << 20, ...o });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(implementations)('ResultCache contract: %s', (name, make, available) => {
  it('stores, reads back, overwrites and deletes', async (ctx) => {
    if (!available()) ctx.skip();
    const c = await make(opts());
    expect(await c.get('k')).toBeUndefined();
    await c.set('k', 'v1');
    expect(await c.get('k')).toBe('v1');
    await c.set('k', 'v2 ✓ unicode');
    expect(await c.get('k')).toBe('v2 ✓ unicode');
    await c.delete('k');
    expect(await c.get('k')).toBeUndefined();
    await c.close();
  });

  it('expires entries after the TTL', async (ctx) => {
    if (!available()) ctx.skip();
    const c = await make(opts({ ttlSeconds: 0.2 }));
    await c.set('t', 'x');
    expect(await c.get('t')).toBe('x');
    await sleep(300);
    expect(await c.get('t')).toBeUndefined();
    await c.close();
  });

  it('does not store a value over the size bound', async (ctx) => {
    if (!available()) ctx.skip();
    const c = await make(opts({ maxBytes: 1000 }));
    await c.set('big', 'x'.repeat(2000));
    expect(await c.get('big')).toBeUndefined();
    await c.set('small', 'y');
    expect(await c.get('small')).toBe('y');
    await c.close();
  });
});

describe('LruCache', () => {
  it('evicts the least recently used past maxEntries and maxBytes', async () => {
    const c = new LruCache(opts({ maxEntries: 2 }));
    await c.set('a', '1');
    await c.set('b', '2');
    await c.get('a'); // a is now more recent than b
    await c.set('c', '3');
    expect(await c.get('b')).toBeUndefined();
    expect(await c.get('a')).toBe('1');
    const d = new LruCache(opts({ maxBytes: 2 * (1 + 10) * 2 }));
    await d.set('x', '0123456789');
    await d.set('y', '0123456789');
    await d.set('z', '0123456789');
    expect(d.size).toBe(2);
    expect(await d.get('x')).toBeUndefined();
  });
});

describe('RedisCache', () => {
  it('fails clearly when Redis cannot be reached', async () => {
    await expect(RedisCache.connect({ ...opts(), url: 'redis://127.0.0.1:1', keyPrefix: 'x:' })).rejects.toThrow(/cannot reach the Redis cache at redis:\/\/127.0.0.1:1/);
  });
});
