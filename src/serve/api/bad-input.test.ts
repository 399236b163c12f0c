/** Acceptance 5: bad input gets a 4xx in the OpenAI error shape naming the field, and the server keeps serving. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveConfig } from '../config.js';
import { createServer, type MixmodalServer } from '../server.js';
import { pngDataUrl, tinyModel, wavBytes } from '../testing.js';

let server: MixmodalServer;
let url: string;
const MODEL = 'mm-tiny';

beforeAll(async () => {
  server = await createServer(
    await tinyModel(2),
    serveConfig({ port: 0, threads: 1, limits: { bodyBytes: 64 * 1024, imagePixels: 100 * 100, audioSeconds: 1, inputTokens: 40 } }),
    { warmup: [] },
  );
  url = await server.listen();
});
afterAll(() => server?.close());

interface ErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

async function send(path: string, body: string, contentType = 'application/json'): Promise<{ status: number; body: ErrorBody; headers: Headers }> {
  const res = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': contentType }, body });
  return { status: res.status, body: (await res.json()) as ErrorBody, headers: res.headers };
}
const chat = (extra: Record<string, unknown>) => JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'hi' }], ...extra });
const userParts = (...parts: unknown[]) => chat({ messages: [{ role: 'user', content: [{ type: 'text', text: 'look' }, ...parts] }] });

const truncatedWav = () => {
  const w = wavBytes(0.5);
  return w.subarray(0, w.length - 200).toString('base64');
};

type Case = [name: string, path: string, body: () => Promise<string> | string, status: number, param: string | null, message: RegExp, contentType?: string];

const cases: Case[] = [
  ['malformed JSON', '/v1/chat/completions', () => '{"model": "mm-tiny", "messages": [', 400, null, /not valid JSON/],
  ['wrong content type', '/v1/chat/completions', () => 'model=mm-tiny', 415, null, /Content-Type.*application\/json/, 'text/plain'],
  ['a JSON array body', '/v1/embeddings', () => '[1, 2]', 400, null, /must be a JSON object/],
  ['missing field', '/v1/chat/completions', () => JSON.stringify({ model: MODEL }), 400, 'messages', /missing required field 'messages'/],
  ['unknown field', '/v1/chat/completions', () => chat({ frobnicate: true }), 400, 'frobnicate', /unknown field 'frobnicate'/],
  ['wrong type (string for integer)', '/v1/chat/completions', () => chat({ max_tokens: 'ten' }), 400, 'max_tokens', /'max_tokens' must be integer or null, got string/],
  ['out of range', '/v1/chat/completions', () => chat({ temperature: 7 }), 400, 'temperature', /'temperature' must be <= 2/],
  ['n > 1', '/v1/chat/completions', () => chat({ n: 2 }), 400, 'n', /'n' must be 1/],
  ['unknown part type', '/v1/chat/completions', () => userParts({ type: 'picture', url: 'x' }), 400, 'messages[0].content[1].type', /unsupported value "picture".*image_url/],
  ['wrong type deep in a part', '/v1/chat/completions', () => userParts({ type: 'image_url', image_url: { url: 42 } }), 400, 'messages[0].content[1].image_url.url', /must be string, got integer/],
  ['unsupported role', '/v1/chat/completions', () => chat({ messages: [{ role: 'tool', content: 'x' }] }), 400, 'messages[0].role', /unsupported value "tool"/],
  ['no user message', '/v1/chat/completions', () => chat({ messages: [{ role: 'system', content: 'x' }] }), 400, 'messages', /no user message/],
  ['a non-image in image_url', '/v1/chat/completions', () => userParts({ type: 'image_url', image_url: { url: `data:image/png;base64,${Buffer.from('this is not a png at all').toString('base64')}` } }), 400, 'messages[0].content[1].image_url.url', /not a decodable image/],
  ['a text data: URL in image_url', '/v1/chat/completions', () => userParts({ type: 'image_url', image_url: { url: 'data:text/plain;base64,aGVsbG8=' } }), 400, 'messages[0].content[1].image_url.url', /'text\/plain', not an image/],
  ['a remote image URL', '/v1/chat/completions', () => userParts({ type: 'image_url', image_url: { url: 'https://example.com/cat.png' } }), 400, 'messages[0].content[1].image_url.url', /must be a data: URL/],
  ['an image over the pixel limit', '/v1/chat/completions', async () => userParts({ type: 'image_url', image_url: { url: await pngDataUrl(120, 100) } }), 400, 'messages[0].content[1].image_url.url', /12000 pixels; the limit is 10000/],
  ['two images in one message', '/v1/chat/completions', async () => userParts({ type: 'image_url', image_url: { url: await pngDataUrl() } }, { type: 'image_url', image_url: { url: await pngDataUrl() } }), 400, 'messages[0].content[2]', /only one image/],
  ['truncated WAV', '/v1/chat/completions', () => userParts({ type: 'input_audio', input_audio: { data: truncatedWav(), format: 'wav' } }), 400, 'messages[0].content[1].input_audio.data', /truncated WAV/],
  ['audio that is not base64', '/v1/chat/completions', () => userParts({ type: 'input_audio', input_audio: { data: 'not base64!!', format: 'wav' } }), 400, 'messages[0].content[1].input_audio.data', /not valid base64/],
  ['audio over the seconds limit', '/v1/chat/completions', () => userParts({ type: 'input_audio', input_audio: { data: wavBytes(1.5).toString('base64'), format: 'wav' } }), 400, 'messages[0].content[1].input_audio.data', /1\.50 s of audio; the limit is 1 s/],
  ['unsupported audio format', '/v1/chat/completions', () => userParts({ type: 'input_audio', input_audio: { data: 'AAAA', format: 'aiff' } }), 400, 'messages[0].content[1].input_audio.format', /must be one of "wav", "mp3"/],
  ['a broken video', '/v1/chat/completions', () => userParts({ type: 'video', video: { data: Buffer.from('YUV4MPEG2 W8 H8\nFRAME\nxx').toString('base64'), format: 'y4m' } }), 400, 'messages[0].content[1].video.data', /not a valid Y4M video/],
  ['too many input tokens', '/v1/chat/completions', () => chat({ messages: [{ role: 'user', content: 'word '.repeat(60) }] }), 400, 'messages[0].content', /tokens; the limit is 40/],
  ['oversize body', '/v1/embeddings', () => JSON.stringify({ model: MODEL, input: 'x'.repeat(70_000) }), 413, null, /larger than the server's limit of 65536 bytes/],
  ['embeddings: empty string', '/v1/embeddings', () => JSON.stringify({ model: MODEL, input: ['ok', ''] }), 400, 'input[1]', /empty string/],
  ['embeddings: token id out of range', '/v1/embeddings', () => JSON.stringify({ model: MODEL, input: [[5, 99999]] }), 400, 'input[0][1]', /not a token id/],
  ['embeddings: wrong dimensions', '/v1/embeddings', () => JSON.stringify({ model: MODEL, input: 'x', dimensions: 7 }), 400, 'dimensions', /must be 32/],
  ['embeddings: wrong encoding_format', '/v1/embeddings', () => JSON.stringify({ model: MODEL, input: 'x', encoding_format: 'hex' }), 400, 'encoding_format', /must be one of "float", "base64"/],
  ['embeddings: unknown media key', '/v1/embeddings', () => JSON.stringify({ model: MODEL, input: [{ picture: 'x' }] }), 400, 'input[0].picture', /unknown field/],
  ['route: wrong input type', '/v1/route', () => JSON.stringify({ model: MODEL, input: 3 }), 400, 'input', /must be string or array, got integer/],
  ['unknown model', '/v1/route', () => JSON.stringify({ model: 'other', input: 'x' }), 404, 'model', /'other' does not exist/],
];

describe('bad input', () => {
  it.each(cases)('%s → 4xx naming the field', async (_name, path, body, status, param, message, contentType) => {
    const r = await send(path, await body(), contentType);
    expect(r.status).toBe(status);
    expect(r.body.error.message).toMatch(message);
    expect(r.body.error.param).toBe(param);
    expect(typeof r.body.error.type).toBe('string');
    expect(r.body.error).toHaveProperty('code');
    if (param) expect(r.body.error.message).toContain(param.split('[')[0]!.split('.')[0]);
  });

  it('unknown routes are 404 in the OpenAI shape', async () => {
    const res = await fetch(`${url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(404);
    expect(((await res.json()) as ErrorBody).error.message).toMatch(/no route POST \/v1\/completions/);
  });

  it('keeps serving afterwards', async () => {
    const res = await fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: chat({ max_tokens: 2, temperature: 0 }) });
    expect(res.status).toBe(200);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const m = await (await fetch(`${url}/metrics`)).text();
    expect(m).toMatch(/mixmodal_http_requests_total\{method="POST",route="\/v1\/chat\/completions",status="400"\} \d+/);
    expect(m).toMatch(/mixmodal_http_requests_total\{method="POST",route="\/v1\/embeddings",status="413"\} 1/);
  });
});
