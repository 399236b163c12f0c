/** The bounded queue (429 + Retry-After), readiness, draining (503 to new requests, accepted ones finish), and metrics in Prometheus text format. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveConfig } from '../config.js';
import { createServer, type MixmodalServer } from '../server.js';
import { pngDataUrl, tinyModel, type TestModel } from '../testing.js';
import { parsePrometheusText } from '../metrics/prometheus-text.js';

let model: TestModel;
beforeAll(async () => {
  model = await tinyModel(4);
});

const post = (url: string, path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

describe('queue bound and draining', () => {
  let server: MixmodalServer;
  let url: string;
  beforeAll(async () => {
    // a 3 s queue delay holds the first requests in the queue; no cache so each request reaches the engine
    server = await createServer(model, serveConfig({ port: 0, threads: 1, batching: { maxBatch: 8, maxQueueDelayUs: 3_000_000, queueSize: 2 }, cache: { enabled: false } }), { warmup: [] });
    url = await server.listen();
  });
  afterAll(() => server?.close());

  it('answers 429 with Retry-After past the queue bound, 503 while draining, and finishes what it accepted', async () => {
    const accepted = [post(url, '/v1/embeddings', { model: 'mm-tiny', input: 'one' }), post(url, '/v1/embeddings', { model: 'mm-tiny', input: 'two' })];
    while (server.engine.stats().queued < 2) await new Promise((r) => setTimeout(r, 5));
    expect((await fetch(`${url}/readyz`)).status).toBe(503); // queue saturated
    const full = await post(url, '/v1/embeddings', { model: 'mm-tiny', input: 'three' });
    expect(full.status).toBe(429);
    expect(Number(full.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(((await full.json()) as { error: { type: string; code: string } }).error).toMatchObject({ type: 'rate_limit_error', code: 'queue_full' });

    server.api.startDraining(); // what SIGTERM does first
    const refused = await post(url, '/v1/chat/completions', { model: 'mm-tiny', messages: [{ role: 'user', content: 'hi' }] });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('5');
    expect((await fetch(`${url}/healthz`)).status).toBe(200); // alive
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { reason: string }).reason).toBe('draining');

    const closing = server.drainAndClose(); // flushes the queue instead of waiting 3 s
    const done = await Promise.all(accepted);
    expect(done.map((r) => r.status)).toEqual([200, 200]);
    await closing;
  });
});

describe('GET /metrics', () => {
  let server: MixmodalServer;
  let url: string;
  beforeAll(async () => {
    server = await createServer(model, serveConfig({ port: 0, threads: 1 }), { warmup: [] });
    url = await server.listen();
  });
  afterAll(() => server?.close());

  it('parses as Prometheus text format and has the series after a few requests', async () => {
    const img = await pngDataUrl();
    const chat = { model: 'mm-tiny', messages: [{ role: 'user', content: [{ type: 'text', text: 'what is this' }, { type: 'image_url', image_url: { url: img } }] }], max_tokens: 3, temperature: 0 };
    for (let i = 0; i < 2; i++) expect((await post(url, '/v1/chat/completions', chat)).status).toBe(200); // the second is a cache hit
    expect((await post(url, '/v1/embeddings', { model: 'mm-tiny', input: ['a', { image: img }] })).status).toBe(200);
    expect((await post(url, '/v1/route', { model: 'mm-tiny', input: 'a red circle' })).status).toBe(200);
    expect((await post(url, '/v1/embeddings', { model: 'mm-tiny', input: 7 })).status).toBe(400);

    const res = await fetch(`${url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const families = parsePrometheusText(await res.text()); // throws on any malformed line
    const series = (name: string) => families.get(name)?.samples ?? [];
    const value = (name: string, labels: Record<string, string> = {}) =>
      series(name)
        .filter((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))
        .reduce((a, s) => a + s.value, 0);

    expect(families.get('mixmodal_http_requests_total')?.type).toBe('counter');
    expect(value('mixmodal_http_requests_total', { route: '/v1/chat/completions', status: '200' })).toBe(2);
    expect(value('mixmodal_http_requests_total', { route: '/v1/embeddings', status: '400' })).toBe(1);
    expect(families.get('mixmodal_http_request_duration_seconds')?.type).toBe('histogram');
    expect(value('mixmodal_http_request_duration_seconds_count', { route: '/v1/embeddings' })).toBe(2);
    expect(value('mixmodal_queue_duration_seconds_count', { kind: 'encode' })).toBeGreaterThanOrEqual(2);
    expect(value('mixmodal_batch_size_count', { kind: 'decode' })).toBeGreaterThanOrEqual(1);
    expect(value('mixmodal_encoder_duration_seconds_count', { modality: 'image' })).toBe(1);
    expect(value('mixmodal_encoder_duration_seconds_count', { modality: 'text' })).toBe(1);
    expect(value('mixmodal_modality_gate_weight_count', { modality: 'image' })).toBe(1); // the chat (route had text only)
    expect(value('mixmodal_modality_gate_weight_count', { modality: 'text' })).toBe(2);
    expect(value('mixmodal_moe_expert_tokens_total', { layer: '0' })).toBeGreaterThan(0);
    expect(value('mixmodal_moe_expert_modality_tokens_total', { layer: '1', modality: 'image' })).toBe(16 * 2); // 16 patches, top-2
    const rates = series('mixmodal_moe_expert_activation_rate').filter((s) => s.labels.layer === '0');
    expect(rates).toHaveLength(4);
    expect(rates.reduce((a, s) => a + s.value, 0)).toBeCloseTo(1, 6);
    expect(series('mixmodal_moe_dropped_tokens_total').length).toBeGreaterThan(0);
    expect(value('mixmodal_cache_hits_total', { kind: 'generate' })).toBe(1);
    expect(value('mixmodal_cache_misses_total', { kind: 'generate' })).toBe(1);
    expect(value('mixmodal_generated_tokens_total')).toBeGreaterThan(0);
    expect(families.get('mixmodal_queue_depth')?.type).toBe('gauge');
    expect(value('mixmodal_queue_capacity')).toBe(1024);
    expect(families.has('process_cpu_seconds_total')).toBe(true);
  });
});
