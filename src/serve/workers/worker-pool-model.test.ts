/** The pool with the real engine: N workers each loading the model folder give the in-process LocalEngine's results. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../../graph/random.js';
import { readModelConfigJson } from '../../model/config.js';
import type { Modality } from '../../model/modalities.js';
import { loadModelFolder, saveModelFolder } from '../../train/model-folder.js';
import { mediaShape } from '../../model/model-inputs.js';
import { LocalBackend } from '../backend/local-backend.js';
import { serveConfig } from '../config.js';
import { LocalEngine } from '../engine/engine.js';
import type { BatchEvent, Engine, GenerateParams, GenerateResult, ModelInput } from '../engine-api.js';
import { tinyModel } from '../testing.js';
import { createWorkerEngine, WorkerPool } from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'mixmodal-pool-'));
const config = serveConfig({ batching: { maxBatch: 4, maxQueueDelayUs: 1000 }, threads: 1 });
let local: LocalEngine;
let backend: LocalBackend;
let pool: Engine;
const events: BatchEvent[] = [];
let tokenizer: Awaited<ReturnType<typeof tinyModel>>['tokenizer'];

beforeAll(async () => {
  const m = await tinyModel(5);
  tokenizer = m.tokenizer;
  const raw = readModelConfigJson('mm-tiny') as { fusion: { moe: Record<string, unknown> } };
  raw.fusion.moe.capacityFactorEval = 0; // dropless: a row's outputs do not depend on its batch
  await saveModelFolder(dir, { cfg: raw, params: m.params, tokenizer: m.tokenizer });
  const folder = await loadModelFolder(dir);
  backend = new LocalBackend(folder.cfg, folder.params, { threads: 1 });
  local = new LocalEngine({ backend, tokenizer: folder.tokenizer, batching: config.batching });
  pool = await createWorkerEngine({ modelDir: dir, workers: 2, config, observer: { onBatch: (e) => events.push(e) } });
});
afterAll(async () => {
  await pool?.close();
  await local?.close();
  await backend?.close();
  rmSync(dir, { recursive: true, force: true });
});

function input(sig: Modality[], seed: number, text: string): ModelInput {
  const rng = new Random(seed);
  const x: ModelInput = { signature: sig };
  for (const m of sig) {
    if (m === 'text') x.textIds = tokenizer.encode(text).slice(0, 32);
    else x[m] = Float32Array.from({ length: mediaShape(backend.cfg, m).reduce((a, b) => a * b, 1) }, () => rng.nextFloat());
  }
  return x;
}
const greedy: GenerateParams = { maxTokens: 8, temperature: 0, topP: 1, stop: [] };

describe('WorkerPool over LocalEngine workers (createWorkerEngine)', () => {
  it('gives the in-process engine’s results, streams tokens, and spreads the load', async () => {
    const chats: [Modality[], number, string][] = [
      [['text'], 1, 'a red circle above a blue square'],
      [['text', 'image'], 2, 'describe the picture'],
      [['text', 'audio'], 3, 'what do you hear'],
      [['image', 'video'], 4, ''],
    ];
    const want: GenerateResult[] = [];
    for (const [s, seed, t] of chats) want.push(await local.generate(input(s, seed, t), greedy));
    const wantEmb = await local.embed(input(['image'], 9, ''));
    const wantRoute = await local.route(input(['text', 'image'], 2, 'describe the picture'));

    const streamed: string[][] = chats.map(() => []);
    const got = await Promise.all(chats.map(([s, seed, t], i) => pool.generate(input(s, seed, t), greedy, {}, (x) => streamed[i]!.push(x))));
    got.forEach((g, i) => {
      expect(g.tokens).toEqual(want[i]!.tokens);
      expect(g.text).toBe(want[i]!.text);
      expect(streamed[i]!.join('')).toBe(g.text);
    });
    const emb = await pool.embed(input(['image'], 9, ''));
    emb.embedding.forEach((v, i) => expect(Math.abs(v - wantEmb.embedding[i]!)).toBeLessThanOrEqual(1e-5));
    const route = await pool.route(input(['text', 'image'], 2, 'describe the picture'));
    expect(route.layers).toEqual(wantRoute.layers);
    for (const m of ['text', 'image'] as const) expect(route.gateWeights[m]).toBeCloseTo(wantRoute.gateWeights[m], 5);

    expect(events.some((e) => e.kind === 'encode')).toBe(true);
    expect((pool as WorkerPool).started).toBe(2);
    expect(pool.stats().capacity).toBe(2 * config.batching.queueSize);
  });

  it('load spreads: concurrent requests keep both workers busy', async () => {
    const p = pool as WorkerPool;
    const reqs = [1, 2, 3, 4].map((i) => pool.generate(input(['text'], i, 'a small dog'), greedy));
    expect(p.load()).toEqual([2, 2]);
    await Promise.all(reqs);
  });
});
