/** Acceptance 2 over HTTP: mixed requests sent together (batched) answer exactly as the same requests one by one. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveConfig } from '../config.js';
import { createServer, type MixmodalServer } from '../server.js';
import { pngDataUrl, tinyModel, wavBytes } from '../testing.js';

let on: MixmodalServer;
let off: MixmodalServer;
let onUrl: string;
let offUrl: string;

beforeAll(async () => {
  const model = await tinyModel(9);
  off = await createServer(model, serveConfig({ port: 0, threads: 1, batching: { maxBatch: 1, maxQueueDelayUs: 0 }, cache: { enabled: false } }), { warmup: [] });
  on = await createServer(model, serveConfig({ port: 0, threads: 1, batching: { maxBatch: 16, maxQueueDelayUs: 150_000 }, cache: { enabled: false } }), { warmup: [] });
  [offUrl, onUrl] = [await off.listen(), await on.listen()];
});
afterAll(async () => {
  await on?.close();
  await off?.close();
});

const post = async (url: string, path: string, body: unknown) => {
  const res = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(res.status).toBe(200);
  return res.json() as Promise<Record<string, unknown>>;
};

describe('batching equivalence over HTTP', () => {
  it('greedy chats, embeddings and route explanations match one-by-one answers', async () => {
    const img = [await pngDataUrl(40, 30), await pngDataUrl(30, 40, [[0, 255, 0], [255, 255, 0]])];
    const wav = wavBytes(0.4, 8000, 300).toString('base64');
    const chat = (content: unknown, max = 10) => ({ path: '/v1/chat/completions', body: { model: 'mm-tiny', messages: [{ role: 'user', content }], max_tokens: max, temperature: 0 } });
    const requests = [
      chat('hi'),
      chat('what colour is the circle? it is red and it sits above a blue square', 14),
      chat([{ type: 'text', text: 'describe the picture' }, { type: 'image_url', image_url: { url: img[0] } }]),
      chat([{ type: 'text', text: 'and this one, please' }, { type: 'image_url', image_url: { url: img[1] } }], 6),
      chat([{ type: 'input_audio', input_audio: { data: wav, format: 'wav' } }]),
      { path: '/v1/embeddings', body: { model: 'mm-tiny', input: ['a', 'the green triangle is left of the yellow star', { image: img[0] }, { image: img[1] }], encoding_format: 'float' } },
      { path: '/v1/route', body: { model: 'mm-tiny', input: [{ type: 'text', text: 'a dog' }, { type: 'image_url', image_url: { url: img[1] } }] } },
    ];
    const alone: Record<string, unknown>[] = [];
    for (const r of requests) alone.push(await post(offUrl, r.path, r.body));
    const together = await Promise.all(requests.map((r) => post(onUrl, r.path, r.body)));

    together.forEach((t, i) => {
      const a = alone[i]!;
      if (t.object === 'chat.completion') {
        expect(t.choices).toEqual(a.choices); // same tokens, same text, same finish reason
        expect(t.usage).toEqual(a.usage);
      } else if (t.object === 'list') {
        const te = t.data as { embedding: number[] }[];
        const ae = a.data as { embedding: number[] }[];
        te.forEach((d, j) => d.embedding.forEach((x, k) => expect(Math.abs(x - ae[j]!.embedding[k]!)).toBeLessThan(1e-5)));
      } else {
        expect(t.layers).toEqual(a.layers);
        for (const [m, w] of Object.entries(t.gate_weights as Record<string, number>)) expect(w).toBeCloseTo((a.gate_weights as Record<string, number>)[m]!, 5);
      }
    });
    const sizes = (await on.metrics.batchSize.get()).values.filter((v) => v.metricName === 'mixmodal_batch_size_sum' || v.metricName === 'mixmodal_batch_size_count');
    const mean = (kind: string) => sizes.find((v) => v.labels.kind === kind && v.metricName!.endsWith('sum'))!.value / sizes.find((v) => v.labels.kind === kind && v.metricName!.endsWith('count'))!.value;
    expect(mean('encode')).toBeGreaterThan(1); // text chats and text+image chats each shared a batch
    expect(mean('embed')).toBeGreaterThan(1);
    expect(mean('decode')).toBeGreaterThan(2);
  });
});
