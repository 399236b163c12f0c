import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { Experiment } from './experiment.js';
import { FeedbackStore, parseLog } from './feedback-store.js';
import { experimentsRoutes } from './routes.js';

const dir = mkdtempSync(join(tmpdir(), 'mixmodal-feedback-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('FeedbackStore', () => {
  it('appends one JSON line per record, in order, under concurrent writes', async () => {
    const path = join(dir, 'a', 'log.jsonl');
    const store = await FeedbackStore.open(path);
    await Promise.all(Array.from({ length: 200 }, (_, i) => store.recordRequest({ requestId: `r${i}`, experiment: 'e', variant: i % 2 ? 'x' : 'y', latencyMs: i })));
    expect(await store.recordFeedback('r7', true)).toMatchObject({ type: 'feedback', requestId: 'r7', variant: 'x', correct: true });
    expect(await store.recordFeedback('nope', true)).toBeUndefined();
    await store.close();
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(201);
    const { records, badLines } = parseLog(readFileSync(path, 'utf8'));
    expect(badLines).toBe(0);
    expect(records.slice(0, 200).map((r) => r.requestId)).toEqual(Array.from({ length: 200 }, (_, i) => `r${i}`));
  });

  it('reopened, it still takes feedback for the requests already logged, and tolerates a cut last line', async () => {
    const path = join(dir, 'reopen.jsonl');
    const s1 = await FeedbackStore.open(path);
    await s1.recordRequest({ requestId: 'old', experiment: 'e', variant: 'top2', latencyMs: 3 });
    await s1.close();
    writeFileSync(path, readFileSync(path, 'utf8') + '{"type":"requ', { flag: 'w' });
    const s2 = await FeedbackStore.open(path);
    expect(s2.variantOf('old')).toBe('top2');
    expect(await s2.recordFeedback('old', false)).toMatchObject({ variant: 'top2', correct: false });
    await s2.close();
  });
});

describe('POST /v1/feedback', () => {
  it('records feedback for a logged response; 400 for a bad body; 404 for an unknown id', async () => {
    const file = join(dir, 'routing.json');
    writeFileSync(file, JSON.stringify({ name: 'routing', variants: [{ name: 'top2', weight: 1, topK: 2 }, { name: 'top1', weight: 1, topK: 1 }] }));
    const exp = await Experiment.load({ file });
    expect(exp.store.path).toBe(join(dir, 'routing.log.jsonl'));
    const app = Fastify();
    await app.register(experimentsRoutes, { store: exp.store });
    try {
      const { variant } = exp.assignRequest('chatcmpl-1', { user: 'alice' });
      expect(exp.assign({ route: 'chat', key: 'alice', signature: ['text'] })).toEqual({ name: variant.name, topK: variant.topK });
      await exp.recordRequest('chatcmpl-1', variant.name, 12.5);
      const ok = await app.inject({ method: 'POST', url: '/v1/feedback', payload: { id: 'chatcmpl-1', correct: true } });
      expect(ok.statusCode).toBe(200);
      expect(ok.json()).toEqual({ object: 'feedback', id: 'chatcmpl-1', variant: variant.name, correct: true });

      const missing = await app.inject({ method: 'POST', url: '/v1/feedback', payload: { id: 'chatcmpl-404', correct: true } });
      expect(missing.statusCode).toBe(404);
      expect(missing.json().error).toMatchObject({ param: 'id', code: 'unknown_id' });
      for (const [payload, param] of [
        [{ id: 'chatcmpl-1' }, 'correct'],
        [{ id: 'chatcmpl-1', correct: 'yes' }, 'correct'],
        [{ correct: true }, 'id'],
        [{ id: 'chatcmpl-1', correct: true, note: 'x' }, 'note'],
      ] as const) {
        const r = await app.inject({ method: 'POST', url: '/v1/feedback', payload });
        expect(r.statusCode, JSON.stringify(payload)).toBe(400);
        expect(r.json().error.param).toBe(param);
      }
    } finally {
      await app.close();
      await exp.close();
    }
    const { records } = parseLog(readFileSync(join(dir, 'routing.log.jsonl'), 'utf8'));
    expect(records.map((r) => r.type)).toEqual(['request', 'feedback']);
  });
});
