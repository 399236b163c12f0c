/** Acceptance 4: the server's cache on a real redis-server (127.0.0.1, started here, stopped by PID). */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveConfig } from '../config.js';
import { createServer, type MixmodalServer } from '../server.js';
import { tinyModel } from '../testing.js';
import { startRedisServer, type RedisTestServer } from './redis-test-server.js';

let redis: RedisTestServer | null;
let server: MixmodalServer | undefined;
let url: string;

beforeAll(async () => {
  redis = await startRedisServer();
  if (!redis) return;
  server = await createServer(await tinyModel(6), serveConfig({ port: 0, threads: 1, cache: { redisUrl: redis.url, keyPrefix: 'mmtest:' } }), { warmup: [] });
  url = await server.listen();
});
afterAll(async () => {
  await server?.close();
  await redis?.stop();
});

describe('Redis cache path', () => {
  it('stores results in Redis under the model version and serves repeats from it', async (ctx) => {
    if (!redis) ctx.skip();
    const body = JSON.stringify({ model: 'mm-tiny', messages: [{ role: 'user', content: 'a red circle above a blue square' }], max_tokens: 5, temperature: 0 });
    const ask = async () => (await fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })).json() as Promise<{ choices: unknown[]; usage: unknown }>;
    const a = await ask();
    const b = await ask();
    expect(b.choices).toEqual(a.choices);
    expect(b.usage).toEqual(a.usage);
    const hits = (await server!.metrics.cacheHits.get()).values.find((v) => v.labels.backend === 'redis' && v.labels.kind === 'generate');
    expect(hits?.value).toBe(1);
    const client = new Redis(redis!.url);
    const keys = await client.keys('mmtest:*');
    expect(keys).toHaveLength(1);
    expect(Number(await client.pttl(keys[0]!))).toBeGreaterThan(590_000); // TTL 600 s
    await client.quit();
  });
});
