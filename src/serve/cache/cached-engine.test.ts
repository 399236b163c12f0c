import { describe, expect, it } from 'vitest';
import type { EmbedResult, Engine, GenerateParams, GenerateResult, ModelInput } from '../engine-api.js';
import { CachedEngine, type CacheKind } from './cached-engine.js';
import { LruCache } from './lru-cache.js';

/** An engine that counts its calls and answers from the input. */
function countingEngine() {
  const calls = { embed: 0, generate: 0, route: 0 };
  const engine: Engine = {
    async embed(input): Promise<EmbedResult> {
      calls.embed++;
      return { embedding: Float32Array.from(input.textIds ?? [], (x) => x / 10), modality: 'text' };
    },
    async generate(input, params, _meta, onToken): Promise<GenerateResult> {
      calls.generate++;
      const text = `answer ${input.textIds?.join(',')} t=${params.temperature}`;
      onToken?.(text);
      return { text, tokens: [1, 2], finishReason: 'stop', promptTokens: input.textIds?.length ?? 0 };
    },
    async route() {
      calls.route++;
      return { gateWeights: { text: 1, image: 0, audio: 0, video: 0 }, layers: [] };
    },
    stats: () => ({ queued: 0, running: 0, capacity: 1 }),
    ready: () => true,
    drain: async () => {},
    close: async () => {},
  };
  return { engine, calls };
}

const input = (ids: number[]): ModelInput => ({ signature: ['text'], textIds: ids });
const greedy: GenerateParams = { maxTokens: 5, temperature: 0, topP: 1, stop: [] };

describe('CachedEngine', () => {
  it('hits on the same input and parameters; a change of either misses', async () => {
    const { engine, calls } = countingEngine();
    const lookups: [CacheKind, boolean][] = [];
    const c = new CachedEngine(engine, new LruCache({ ttlSeconds: 60, maxEntries: 100, maxBytes: 1 << 20 }), { modelVersion: 'v1', onLookup: (k, h) => lookups.push([k, h]) });
    const e1 = await c.embed(input([1, 2, 3]));
    const e2 = await c.embed(input([1, 2, 3]));
    expect(Array.from(e2.embedding)).toEqual(Array.from(e1.embedding));
    expect(calls.embed).toBe(1);
    await c.embed(input([1, 2, 4]));
    expect(calls.embed).toBe(2);
    await c.generate(input([1]), greedy);
    await c.generate(input([1]), greedy);
    await c.generate(input([1]), { ...greedy, maxTokens: 6 });
    await c.generate(input([1]), greedy, { variant: { name: 'B', topK: 1 } });
    expect(calls.generate).toBe(3);
    await c.route(input([1]));
    await c.route(input([1]));
    expect(calls.route).toBe(1);
    expect(lookups.filter(([, h]) => h).map(([k]) => k)).toEqual(['embed', 'generate', 'route']);
  });

  it('a new model version never gets an old entry (same cache store)', async () => {
    const store = new LruCache({ ttlSeconds: 60, maxEntries: 100, maxBytes: 1 << 20 });
    const a = countingEngine();
    const b = countingEngine();
    await new CachedEngine(a.engine, store, { modelVersion: 'weights-1' }).generate(input([4]), greedy);
    await new CachedEngine(b.engine, store, { modelVersion: 'weights-2' }).generate(input([4]), greedy);
    expect(b.calls.generate).toBe(1);
    expect(store.size).toBe(2);
  });

  it('does not cache streaming requests with sampling; a cached greedy stream replays its text', async () => {
    const { engine, calls } = countingEngine();
    const c = new CachedEngine(engine, new LruCache({ ttlSeconds: 60, maxEntries: 100, maxBytes: 1 << 20 }), { modelVersion: 'v' });
    const sampled = { ...greedy, temperature: 0.8, seed: 1 };
    await c.generate(input([9]), sampled, {}, () => {});
    await c.generate(input([9]), sampled, {}, () => {});
    expect(calls.generate).toBe(2);
    await c.generate(input([9]), greedy, {}, () => {});
    const pieces: string[] = [];
    const r = await c.generate(input([9]), greedy, {}, (t) => pieces.push(t));
    expect(calls.generate).toBe(3);
    expect(pieces.join('')).toBe(r.text);
  });
});
