import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QueueFullError, UnavailableError, type BatchEvent, type GenerateParams, type ModelInput } from '../engine-api.js';
import { CRASH_ID, QUEUE_FULL_ID, WAIT_FOR_ABORT_ID, type FakeEngineOptions } from './fake-engine.js';
import { WorkerPool, type WorkerPoolOptions } from './worker-pool.js';

const FAKE = new URL('./fake-engine.ts', import.meta.url);
const text = (...ids: number[]): ModelInput => ({ signature: ['text'], textIds: ids });
const params = (maxTokens = 3): GenerateParams => ({ maxTokens, temperature: 0, topP: 1, stop: [] });
const workerOf = (e: { embedding: Float32Array }) => e.embedding[0]!;

function start(o: Partial<WorkerPoolOptions> & { fake?: FakeEngineOptions } = {}): Promise<WorkerPool> {
  return WorkerPool.start({ workers: 2, engineModule: FAKE, engineExport: 'createFakeEngine', engineOptions: o.fake ?? { delayMs: 30 }, restartBackoffMs: 50, ...o });
}

describe('WorkerPool (fake engines)', () => {
  let pool: WorkerPool;
  const events: BatchEvent[] = [];
  beforeAll(async () => {
    pool = await start({ observer: { onBatch: (e) => events.push(e) } });
  });
  afterAll(() => pool.close());

  it('spreads concurrent requests over the workers, least loaded first', async () => {
    const reqs = Array.from({ length: 6 }, (_, i) => pool.embed(text(i)));
    expect(pool.load()).toEqual([3, 3]);
    const workers = (await Promise.all(reqs)).map(workerOf);
    expect(workers.filter((w) => w === 0)).toHaveLength(3);
    expect(pool.load()).toEqual([0, 0]);
    // Worker 0 busy with 3 slow requests: the next 3 go to worker 1 until the loads are level.
    const slow = [0, 1, 2, 3, 4].map(() => pool.generate(text(1), params(40)));
    expect(pool.load()).toEqual([3, 2]);
    const next = await Promise.all([pool.embed(text(5))]);
    expect(next.map(workerOf)).toEqual([1]);
    await Promise.all(slow);
  });

  it('relays streamed tokens in order, and batch events to the observer', async () => {
    const got: string[] = [];
    const r = await pool.generate(text(1, 2), params(5), {}, (t) => got.push(t));
    expect(got.join('')).toBe(r.text);
    expect(got).toHaveLength(5);
    expect(events.length).toBeGreaterThan(0);
    expect(events[0]).toMatchObject({ kind: 'embed', size: 1 });
  });

  it('keeps error classes across threads and relays aborts', async () => {
    const full = await pool.embed(text(QUEUE_FULL_ID)).catch((e: Error) => e);
    expect(full).toBeInstanceOf(QueueFullError);
    expect((full as QueueFullError).retryAfterSeconds).toBe(3);
    const ac = new AbortController();
    const waiting = pool.embed(text(WAIT_FOR_ABORT_ID), { signal: ac.signal });
    setTimeout(() => ac.abort(), 20);
    await expect(waiting).rejects.toThrow(/cancelled/);
    expect(pool.load()).toEqual([0, 0]);
  });

  it('a crashed worker fails its requests with UnavailableError, the others keep serving, and it is replaced', async () => {
    const started = pool.started;
    const other = pool.generate(text(1), params(20)); // lands on one worker…
    const crash = pool.embed(text(CRASH_ID)); // …the crash on the other
    await expect(crash).rejects.toBeInstanceOf(UnavailableError);
    await expect(other).resolves.toMatchObject({ finishReason: 'length' });
    await pool.whenReady(0);
    await pool.whenReady(1);
    expect(pool.started).toBe(started + 1);
    const after = await Promise.all([pool.embed(text(1)), pool.embed(text(2))]);
    expect(after.map(workerOf).sort()).toEqual([0, 1]);
  });

  it('a worker killed mid-request fails that request with UnavailableError', async () => {
    const slow = pool.generate(text(1), params(200));
    const loaded = pool.load().findIndex((n) => n > 0);
    await pool.kill(loaded);
    await expect(slow).rejects.toThrow(UnavailableError);
    await pool.whenReady(loaded);
    await expect(pool.embed(text(3))).resolves.toBeDefined();
  });
});

describe('WorkerPool setup and shutdown', () => {
  it('routes a signature only to the workers that take it', async () => {
    const pool = await start({ accepts: (w, sig) => (sig.includes('image') ? w === 1 : true) });
    try {
      const imgs = await Promise.all([0, 1, 2].map((i) => pool.embed({ signature: ['image'], image: new Float32Array(1), textIds: [i] })));
      expect(imgs.map(workerOf)).toEqual([1, 1, 1]);
      const pool1 = await start({ workers: 1, accepts: () => false });
      await expect(pool1.embed(text(1))).rejects.toThrow(/no model worker takes the signature text/);
      await pool1.close();
    } finally {
      await pool.close();
    }
  });

  it('fails to start with the engine’s error when a worker cannot build its engine', async () => {
    await expect(start({ workers: 1, fake: { delayMs: 1, failInit: 'model folder /nope does not exist' } })).rejects.toThrow(/model folder \/nope does not exist/);
  });

  it('drain finishes accepted work and refuses new work; close ends the threads', async () => {
    const pool = await start();
    const accepted = pool.generate(text(1), params(10));
    const draining = pool.drain();
    await expect(pool.embed(text(1))).rejects.toBeInstanceOf(UnavailableError);
    expect(pool.ready()).toBe(false);
    await expect(accepted).resolves.toMatchObject({ finishReason: 'length' });
    await draining;
    await pool.close();
    expect(pool.load()).toEqual([0, 0]);
  });
});
