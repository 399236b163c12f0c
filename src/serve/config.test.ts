import { describe, expect, it } from 'vitest';
import { serveConfig } from './config.js';

describe('serveConfig', () => {
  it('fills in the embedded defaults (no Redis, no other host)', () => {
    const c = serveConfig();
    expect(c).toMatchObject({ host: '127.0.0.1', port: 8080, workers: 0, expertShards: [], drainTimeoutMs: 30_000, threads: 2 });
    expect(c.batching).toEqual({ maxBatch: 32, preferredBatchSizes: [], maxQueueDelayUs: 2000, maxHoldSteps: 4, queueSize: 1024, priorityLevels: 3, requestTimeoutMs: 60_000 });
    expect(c.cache).toEqual({ enabled: true, ttlSeconds: 600, maxEntries: 10_000, maxBytes: 64 * 1024 * 1024, keyPrefix: 'mixmodal:cache:' });
    expect(c.cache.redisUrl).toBeUndefined();
    expect(c.limits.bodyBytes).toBe(16 * 1024 * 1024);
  });

  it('keeps overrides and sorts preferred batch sizes', () => {
    const c = serveConfig({ port: 0, batching: { maxBatch: 16, preferredBatchSizes: [8, 4, 8] }, cache: { redisUrl: 'redis://127.0.0.1:6379' }, expertShards: ['a:1', '10.0.0.2:50051'] });
    expect(c.batching.preferredBatchSizes).toEqual([4, 8]);
    expect(c.cache.redisUrl).toBe('redis://127.0.0.1:6379');
    expect(c.expertShards).toEqual(['a:1', '10.0.0.2:50051']);
  });

  it('rejects unknown keys and wrong types, naming the key', () => {
    expect(() => serveConfig({ prot: 1 } as never)).toThrow(/serve config: unknown key 'prot'/);
    expect(() => serveConfig({ batching: { maxBatch: 0 } })).toThrow(/batching: 'maxBatch' must be ≥ 1, got 0/);
    expect(() => serveConfig({ limits: { audioSeconds: '5' as never } })).toThrow(/limits: 'audioSeconds' must be a finite number/);
    expect(() => serveConfig({ batching: { maxBatch: 4, preferredBatchSizes: [8] } })).toThrow(/preferredBatchSizes has 8, larger than batching.maxBatch 4/);
    expect(() => serveConfig({ cache: { redisUrl: 'localhost:6379' } })).toThrow(/redisUrl must start with redis:\/\//);
    expect(() => serveConfig({ expertShards: ['nohost'] })).toThrow(/expertShards\[0\] must be host:port/);
  });
});
