/** --experiments wiring: requests get a routing variant, the engine runs it, metrics count it, feedback is taken. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveConfig } from '../config.js';
import { createServer, type MixmodalServer } from '../server.js';
import { tinyModel } from '../testing.js';

const dir = mkdtempSync(join(tmpdir(), 'mixmodal-serve-exp-'));
let server: MixmodalServer;
let url: string;

beforeAll(async () => {
  const file = join(dir, 'routing.json');
  writeFileSync(file, JSON.stringify({ name: 'routing', variants: [{ name: 'top2', weight: 1, topK: 2 }, { name: 'top1-uniform', weight: 1, topK: 1, gateStrategy: 'uniform' }] }));
  server = await createServer(await tinyModel(8), serveConfig({ port: 0, threads: 1, experimentsFile: file }), { warmup: [] });
  url = await server.listen();
});
afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

const post = (path: string, body: unknown) => fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('routing experiments', () => {
  it('assigns variants by user, runs their routing, and records metrics and feedback', async () => {
    const seen = new Map<string, { experts: number; gate: Record<string, number> }>(); // variant → token→expert assignments of layer 0
    for (let u = 0; u < 12 && seen.size < 2; u++) {
      const r = (await (await post('/v1/route', { model: 'mm-tiny', input: [{ type: 'text', text: 'a red circle' }], user: `user-${u}` })).json()) as {
        variant: string;
        gate_weights: Record<string, number>;
        layers: { tokens_per_expert: { text: number[] } }[];
      };
      const assigned = r.layers[0]!.tokens_per_expert.text.reduce((a, b) => a + b, 0);
      seen.set(r.variant, { experts: assigned, gate: r.gate_weights });
      expect(assigned % (r.variant === 'top2' ? 2 : 1)).toBe(0);
    }
    expect([...seen.keys()].sort()).toEqual(['top1-uniform', 'top2']);
    // top-1 routes half as many token→expert assignments as top-2 for the same text
    expect(seen.get('top2')!.experts).toBe(2 * seen.get('top1-uniform')!.experts);

    const chat = (await (await post('/v1/chat/completions', { model: 'mm-tiny', messages: [{ role: 'user', content: 'hi' }], max_tokens: 2, temperature: 0, user: 'user-0' })).json()) as { id: string };
    let fb: Response | undefined;
    for (let i = 0; i < 50; i++) {
      fb = await post('/v1/feedback', { id: chat.id, correct: true }); // the log is written when the response closes
      if (fb.status === 200) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(fb!.status).toBe(200);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/mixmodal_experiment_variant_requests_total\{variant="top2",route="\/v1\/route",status="200"\} \d+/);
    expect(metrics).toMatch(/mixmodal_experiment_variant_request_duration_seconds_count\{variant="top1-uniform",route="\/v1\/route"\} \d+/);
  });
});
