/** Acceptance 1 and the API surface, through real fastify on 127.0.0.1 and the official `openai` client. */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ffmpegAvailable } from '../../data/media/ffmpeg.js';
import { tempDir, tone, writeAudioFile, writeGreyVideo } from '../../data/media/test-fixtures.js';
import { encodeY4m444 } from '../../data/media/y4m.js';
import { serveConfig } from '../config.js';
import { createServer, type MixmodalServer } from '../server.js';
import { pngDataUrl, tinyModel, wavBytes } from '../testing.js';

let server: MixmodalServer;
let url: string;
let client: OpenAI;
const MODEL = 'mm-tiny';

beforeAll(async () => {
  const model = await tinyModel(3);
  server = await createServer(model, serveConfig({ port: 0, threads: 1, batching: { maxQueueDelayUs: 1000 } }), { warmup: [] });
  url = await server.listen();
  client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'not-needed', maxRetries: 0 });
});
afterAll(() => server?.close());

const post = (path: string, body: unknown) => fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('OpenAI-compatible API (openai npm client)', () => {
  it('chat completion with an image part', async () => {
    const r = await client.chat.completions.create({
      model: MODEL,
      messages: [
        { role: 'system', content: 'You describe pictures.' },
        { role: 'user', content: [{ type: 'text', text: 'what is in the picture?' }, { type: 'image_url', image_url: { url: await pngDataUrl() } }] },
      ],
      max_tokens: 6,
      temperature: 0,
    });
    expect(r.object).toBe('chat.completion');
    expect(r.model).toBe(MODEL);
    expect(r.id).toMatch(/^chatcmpl-/);
    expect(r.choices).toHaveLength(1);
    expect(r.choices[0]!.message.role).toBe('assistant');
    expect(typeof r.choices[0]!.message.content).toBe('string');
    expect(['stop', 'length']).toContain(r.choices[0]!.finish_reason);
    expect(r.usage!.completion_tokens).toBeLessThanOrEqual(6);
    expect(r.usage!.prompt_tokens).toBeGreaterThan(16); // text tokens + 16 image patches
    expect(r.usage!.total_tokens).toBe(r.usage!.prompt_tokens + r.usage!.completion_tokens);
  });

  it('streamed chat completion: chunks add up to the non-streamed answer', async () => {
    const req = { model: MODEL, messages: [{ role: 'user' as const, content: 'describe the picture: two shapes' }], max_tokens: 10, temperature: 0 };
    const whole = await client.chat.completions.create(req);
    const stream = await client.chat.completions.create({ ...req, stream: true, stream_options: { include_usage: true } });
    let text = '';
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | undefined;
    let chunks = 0;
    for await (const c of stream) {
      chunks++;
      expect(c.object).toBe('chat.completion.chunk');
      if (c.usage) usage = c.usage;
      const ch = c.choices[0];
      if (!ch) continue;
      text += ch.delta.content ?? '';
      if (ch.finish_reason) finish = ch.finish_reason;
    }
    expect(chunks).toBeGreaterThanOrEqual(3);
    expect(text).toBe(whole.choices[0]!.message.content);
    expect(finish).toBe(whole.choices[0]!.finish_reason);
    expect(usage).toEqual(whole.usage);
  });

  it('embeddings (the client asks for base64 and decodes it; float gives the same values)', async () => {
    const r = await client.embeddings.create({ model: MODEL, input: ['a red circle', 'the green triangle'] });
    expect(r.object).toBe('list');
    expect(r.data).toHaveLength(2);
    expect(r.data[0]!.embedding).toHaveLength(32);
    expect(r.usage.prompt_tokens).toBeGreaterThan(2);
    const norm = Math.hypot(...r.data[0]!.embedding);
    expect(norm).toBeCloseTo(1, 4);
    const f = await client.embeddings.create({ model: MODEL, input: 'a red circle', encoding_format: 'float' });
    f.data[0]!.embedding.forEach((x, i) => expect(x).toBeCloseTo(r.data[0]!.embedding[i]!, 6));
  });

  it('a client that goes away mid-stream cancels its request; the server keeps serving', async () => {
    const ac = new AbortController();
    const stream = await client.chat.completions.create(
      { model: MODEL, messages: [{ role: 'user', content: 'tell me a long story' }], max_tokens: 31, temperature: 1, seed: 3, stream: true },
      { signal: ac.signal },
    );
    try {
      for await (const c of stream) if (c.choices[0]?.delta.content) ac.abort();
    } catch {
      // the client may end the iteration or throw its AbortError
    }
    for (let i = 0; i < 100 && server.engine.stats().running + server.engine.stats().queued > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(server.engine.stats()).toMatchObject({ queued: 0, running: 0 });
    const r = await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }], max_tokens: 2, temperature: 0 });
    expect(r.choices).toHaveLength(1);
  });

  it('lists the served model and 404s another one in the OpenAI shape', async () => {
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toEqual([MODEL]);
    await expect(client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] })).rejects.toMatchObject({
      status: 404,
      code: 'model_not_found',
    });
  });
});

describe('media parts, embeddings extensions, routing explanation', () => {
  it.runIf(ffmpegAvailable())('a video part in MP4 and an mp3 audio part, decoded by ffmpeg', async () => {
    const dir = tempDir();
    writeGreyVideo(join(dir, 'v.mp4'), [20, 80, 140, 200, 250], 32, 10);
    writeAudioFile(join(dir, 'a.mp3'), tone(440, 8000, 0.5), 8000);
    const res = await post('/v1/chat/completions', {
      model: MODEL,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'video', video: { data: readFileSync(join(dir, 'v.mp4')).toString('base64'), format: 'mp4' } },
            { type: 'input_audio', input_audio: { data: readFileSync(join(dir, 'a.mp3')).toString('base64'), format: 'mp3' } },
          ],
        },
      ],
      max_tokens: 2,
      temperature: 0,
    });
    rmSync(dir, { recursive: true, force: true });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { usage: { prompt_tokens: number } }).usage.prompt_tokens).toBeGreaterThan(0);
  });

  it('chat with input_audio (WAV) and a video part (Y4M)', async () => {
    const frames = Array.from({ length: 3 }, (_, i) => new Uint8Array(16 * 16 * 3).fill(40 + 60 * i));
    const y4m = Buffer.from(encodeY4m444(frames, 16, 16)).toString('base64');
    const res = await post('/v1/chat/completions', {
      model: MODEL,
      messages: [{ role: 'user', content: [{ type: 'text', text: 'what do you hear and see' }, { type: 'input_audio', input_audio: { data: wavBytes().toString('base64'), format: 'wav' } }, { type: 'video', video: { data: y4m, format: 'y4m' } }] }],
      max_tokens: 3,
      temperature: 0,
    });
    expect(res.status).toBe(200);
    const j = (await res.json()) as { choices: { message: { content: string } }[] };
    expect(typeof j.choices[0]!.message.content).toBe('string');
  });

  it('embeddings of image, audio and video inputs, and token ids', async () => {
    const frames = Array.from({ length: 2 }, () => new Uint8Array(8 * 8 * 3).fill(128));
    const res = await post('/v1/embeddings', {
      model: MODEL,
      input: [{ image: await pngDataUrl() }, { audio: { data: wavBytes().toString('base64'), format: 'wav' } }, { video: { data: Buffer.from(encodeY4m444(frames, 8, 8)).toString('base64'), format: 'y4m' } }, [5, 6, 7]],
      encoding_format: 'float',
    });
    expect(res.status).toBe(200);
    const j = (await res.json()) as { data: { index: number; embedding: number[] }[]; usage: { prompt_tokens: number } };
    expect(j.data.map((d) => d.index)).toEqual([0, 1, 2, 3]);
    for (const d of j.data) expect(Math.hypot(...d.embedding)).toBeCloseTo(1, 4);
    expect(j.usage.prompt_tokens).toBe(3);
  });

  it('POST /v1/route explains the gate weights and the experts per modality', async () => {
    const res = await post('/v1/route', { model: MODEL, input: [{ type: 'text', text: 'a red circle' }, { type: 'image_url', image_url: { url: await pngDataUrl() } }] });
    expect(res.status).toBe(200);
    const j = (await res.json()) as {
      signature: string[];
      gate_weights: Record<string, number>;
      layers: { layer: number; dropped_tokens: number; tokens_per_expert: Record<string, number[]>; experts: Record<string, { expert: number; tokens: number }[]> }[];
    };
    expect(j.signature).toEqual(['text', 'image']);
    expect(j.gate_weights.text! + j.gate_weights.image!).toBeCloseTo(1, 5);
    expect(j.gate_weights.audio).toBe(0);
    expect(j.layers).toHaveLength(2); // mm-tiny: MoE in both fusion layers
    const topK = 2;
    const imageTokens = (32 / 8) ** 2;
    for (const l of j.layers) {
      expect(Object.keys(l.tokens_per_expert)).toEqual(['text', 'image']);
      expect(l.tokens_per_expert.image!.reduce((a, b) => a + b, 0)).toBe(imageTokens * topK); // dropless
      expect(l.dropped_tokens).toBe(0);
      expect(l.experts.image![0]!.tokens).toBe(Math.max(...l.tokens_per_expert.image!));
    }
  });

  it('healthz, readyz, and cache hits for a repeated request', async () => {
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as { status: string }).status).toBe('ready');
    const body = { model: MODEL, input: 'cache me if you can', encoding_format: 'float' };
    const hits = async () => (await server.metrics.cacheHits.get()).values.filter((v) => v.labels.kind === 'embed').reduce((s, v) => s + v.value, 0);
    const a = await (await post('/v1/embeddings', body)).json();
    const before = await hits();
    const b = await (await post('/v1/embeddings', body)).json();
    expect(b).toEqual(a);
    expect(await hits()).toBe(before + 1);
  });
});
