/**
 * Serving a model with video.keyframe 'image' (mm-tiny, clips at imageSize 32,
 * tubelets at 16): the server decodes clips at the size the model reads,
 * the keyframe's tokens reach the decoder, and /v1/route counts them under video.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeY4m444 } from '../../data/media/y4m.js';
import { readModelConfigJson, validateModelConfig } from '../../model/config.js';
import { serveConfig } from '../config.js';
import { createServer, type MixmodalServer } from '../server.js';
import { tinyModel } from '../testing.js';

let server: MixmodalServer;
let url: string;
const raw = readModelConfigJson('mm-tiny') as { video: Record<string, unknown> };
const keyed = validateModelConfig({ ...raw, video: { ...raw.video, videoSize: 16, keyframe: 'image' } });
const IMAGE_TOKENS = (32 / 8) ** 2; // the keyframe through the image encoder (no merge in mm-tiny)
const VIDEO_TOKENS = (4 / 2) * (16 / 8) ** 2; // tubelets × patches

beforeAll(async () => {
  server = await createServer(await tinyModel(4, keyed), serveConfig({ port: 0, threads: 1, batching: { maxQueueDelayUs: 1000 } }), { warmup: [] });
  url = await server.listen();
});
afterAll(() => server?.close());

const post = (path: string, body: unknown) => fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

/** A 40×30 Y4M clip of 6 frames, a bright square moving right over grey. */
function movingSquare(): string {
  const w = 40;
  const h = 30;
  const frames = Array.from({ length: 6 }, (_, f) => {
    const rgb = new Uint8Array(w * h * 3).fill(90);
    for (let y = 10; y < 20; y++) for (let x = 4 + 4 * f; x < 14 + 4 * f; x++) rgb.set([250, 40, 40], 3 * (y * w + x));
    return rgb;
  });
  return Buffer.from(encodeY4m444(frames, w, h)).toString('base64');
}

describe('serving a keyframe model', () => {
  it('/v1/route counts the keyframe tokens under video, none under image', async () => {
    const res = await post('/v1/route', { model: 'mm-tiny', input: [{ type: 'video', video: { data: movingSquare(), format: 'y4m' } }] });
    expect(res.status).toBe(200);
    const j = (await res.json()) as { signature: string[]; layers: { tokens_per_expert: Record<string, number[]> }[] };
    expect(j.signature).toEqual(['video']);
    for (const l of j.layers) {
      expect(Object.keys(l.tokens_per_expert)).toEqual(['video']);
      expect(l.tokens_per_expert.video!.reduce((a, b) => a + b, 0)).toBe((IMAGE_TOKENS + VIDEO_TOKENS) * keyed.fusion.moe.topK); // dropless
    }
  });

  it('a chat completion with a video part: the keyframe and tubelet tokens are in the prompt', async () => {
    const chat = async (content: unknown[]) => {
      const res = await post('/v1/chat/completions', { model: 'mm-tiny', messages: [{ role: 'user', content }], max_tokens: 4, temperature: 0 });
      expect(res.status).toBe(200);
      return (await res.json()) as { choices: { message: { content: string } }[]; usage: { prompt_tokens: number } };
    };
    const text = { type: 'text', text: 'which object moves?' };
    const withVideo = await chat([text, { type: 'video', video: { data: movingSquare(), format: 'y4m' } }]);
    const textOnly = await chat([text]);
    expect(typeof withVideo.choices[0]!.message.content).toBe('string');
    expect(withVideo.usage.prompt_tokens - textOnly.usage.prompt_tokens).toBe(IMAGE_TOKENS + VIDEO_TOKENS);
  });
});
