import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../../graph/random.js';
import { mediaShape } from '../../model/model-inputs.js';
import type { Modality } from '../../model/modalities.js';
import { LocalBackend } from '../backend/local-backend.js';
import { serveConfig, type BatchingConfig } from '../config.js';
import { QueueFullError, RequestTimeoutError, UnavailableError, type BatchEvent, type EmbedResult, type GenerateParams, type GenerateResult, type ModelInput } from '../engine-api.js';
import { tinyModel, type TestModel } from '../testing.js';
import { LocalEngine } from './engine.js';

let model: TestModel;
let backend: LocalBackend;
beforeAll(async () => {
  model = await tinyModel(5);
  backend = new LocalBackend(model.cfg, model.params, { threads: 1 });
});
afterAll(() => backend.close());

function input(sig: Modality[], seed: number, text = 'a red circle above a blue square'): ModelInput {
  const rng = new Random(seed);
  const x: ModelInput = { signature: sig };
  for (const m of sig) {
    if (m === 'text') x.textIds = model.tokenizer.encode(text).slice(0, model.cfg.text.maxTextLen);
    else x[m] = Float32Array.from({ length: mediaShape(model.cfg, m).reduce((a, b) => a * b, 1) }, () => rng.nextFloat() * (m === 'audio' ? 2 : 1) - (m === 'audio' ? 1 : 0));
  }
  return x;
}
const greedy = (maxTokens = 12): GenerateParams => ({ maxTokens, temperature: 0, topP: 1, stop: [] });
const engine = (batching: Partial<BatchingConfig>, events?: BatchEvent[]) =>
  new LocalEngine({ backend, tokenizer: model.tokenizer, batching: serveConfig({ batching }).batching, observer: events ? { onBatch: (e) => events.push(e) } : undefined });

function close(a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-5): void {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThanOrEqual(tol);
}

describe('LocalEngine', () => {
  // Mixed signatures and text lengths: padding and batch neighbours must not change any row's result.
  const chats: [Modality[], number, string][] = [
    [['text'], 1, 'hi'],
    [['text'], 2, 'what colour is the circle? it is red and it sits above a blue square on a white background'],
    [['text', 'image'], 3, 'describe the picture'],
    [['text', 'image'], 4, 'a small dog runs on the grass near the river'],
    [['image'], 5, ''],
    [['text', 'audio', 'video'], 6, 'what do you hear'],
  ];
  const embeds: [Modality[], number, string][] = [
    [['text'], 7, 'a'],
    [['text'], 8, 'the green triangle is left of the yellow star'],
    [['image'], 9, ''],
    [['audio'], 10, ''],
    [['video'], 11, ''],
  ];

  it('a batch of mixed requests gives the same outputs as the same requests one by one (greedy)', async () => {
    const solo = engine({ maxBatch: 1, maxQueueDelayUs: 0 });
    const soloGen: GenerateResult[] = [];
    for (const [s, seed, t] of chats) soloGen.push(await solo.generate(input(s, seed, t), greedy()));
    const soloEmb: EmbedResult[] = [];
    for (const [s, seed, t] of embeds) soloEmb.push(await solo.embed(input(s, seed, t)));
    const soloRoute = await solo.route(input(['text', 'image'], 3, 'describe the picture'));
    await solo.close();

    const events: BatchEvent[] = [];
    const batched = engine({ maxBatch: 8, maxQueueDelayUs: 200_000 }, events);
    const [gen, emb, route] = await Promise.all([
      Promise.all(chats.map(([s, seed, t]) => batched.generate(input(s, seed, t), greedy()))),
      Promise.all(embeds.map(([s, seed, t]) => batched.embed(input(s, seed, t)))),
      batched.route(input(['text', 'image'], 3, 'describe the picture')),
    ]);
    await batched.close();

    gen.forEach((g, i) => {
      expect(g.tokens).toEqual(soloGen[i]!.tokens); // exact: greedy argmax over logits equal to ~1e-6
      expect(g.text).toBe(soloGen[i]!.text);
      expect(g.finishReason).toBe(soloGen[i]!.finishReason);
      expect(g.promptTokens).toBe(soloGen[i]!.promptTokens);
    });
    // Float outputs agree to 1e-5, not bit for bit: a padded batch sums attention over more (masked) keys, which changes rounding.
    emb.forEach((e, i) => close(e.embedding, soloEmb[i]!.embedding));
    close(Object.values(route.gateWeights), Object.values(soloRoute.gateWeights));
    expect(route.layers).toEqual(soloRoute.layers);
    // and batching really happened
    expect(Math.max(...events.filter((e) => e.kind === 'embed').map((e) => e.size))).toBe(2);
    expect(Math.max(...events.filter((e) => e.kind === 'encode').map((e) => e.size))).toBe(2);
    expect(Math.max(...events.filter((e) => e.kind === 'decode').map((e) => e.size))).toBeGreaterThanOrEqual(5);
  });

  it('generation rows join and leave the running batch between decode steps', async () => {
    const solo = engine({ maxBatch: 1, maxQueueDelayUs: 0 });
    const a1 = await solo.generate(input(['text'], 1, 'hi'), greedy(20));
    const b1 = await solo.generate(input(['text', 'image'], 3, 'describe'), greedy(4));
    await solo.close();
    const sizes: number[] = [];
    let late: Promise<{ tokens: number[] }> | undefined;
    const e = new LocalEngine({
      backend,
      tokenizer: model.tokenizer,
      batching: serveConfig({ batching: { maxBatch: 8, maxQueueDelayUs: 0 } }).batching,
      observer: {
        onBatch: (ev) => {
          if (ev.kind !== 'decode') return;
          sizes.push(ev.size);
          if (sizes.length === 3) late = e.generate(input(['text', 'image'], 3, 'describe'), greedy(4)); // joins mid-generation
        },
      },
    });
    const ra = await e.generate(input(['text'], 1, 'hi'), greedy(20));
    const rb = await late!;
    await e.close();
    expect(ra.tokens).toEqual(a1.tokens);
    expect(rb.tokens).toEqual(b1.tokens);
    expect(a1.tokens.length).toBeGreaterThan(8); // long enough to overlap
    expect(sizes).toContain(2);
    expect(sizes[0]).toBe(1);
    expect(sizes.at(-1)).toBe(1);
  });

  it('rows joining with prompts of different lengths are prefilled in one decoder run, with the tokens each gets alone', async () => {
    const texts = ['hi', 'a red circle', 'what colour is the circle? it is red', 'the green triangle is left of the yellow star near the river'];
    const solo = engine({ maxBatch: 1, maxQueueDelayUs: 0 });
    const alone: GenerateResult[] = [];
    for (const [i, t] of texts.entries()) alone.push(await solo.generate(input(['text'], i, t), greedy(6)));
    await solo.close();
    const prompts = new Set(texts.map((t) => model.tokenizer.encode(t).length));
    expect(prompts.size).toBe(texts.length); // four different prompt lengths

    const stepper = await backend.decoder();
    const run = stepper.stepSession.ort.run;
    let runs = 0;
    stepper.stepSession.ort.run = ((...a: Parameters<typeof run>) => (runs++, run.apply(stepper.stepSession.ort, a))) as typeof run;
    try {
      const events: BatchEvent[] = [];
      const e = engine({ maxBatch: 8, maxQueueDelayUs: 200_000 }, events);
      const together = await Promise.all(texts.map((t, i) => e.generate(input(['text'], i, t), greedy(6))));
      await e.close();
      together.forEach((g, i) => expect(g.tokens).toEqual(alone[i]!.tokens));
      const decodes = events.filter((ev) => ev.kind === 'decode');
      expect(decodes[0]!.size).toBe(texts.length); // all four joined the same decode batch
      expect(runs).toBe(decodes.length); // one step run per decode batch: the joining prompts were prefilled together
    } finally {
      stepper.stepSession.ort.run = run;
    }
  });

  it('refuses past the queue bound, times out, and drains', async () => {
    const e = engine({ maxBatch: 4, maxQueueDelayUs: 5_000_000, queueSize: 2 });
    const p1 = e.embed(input(['text'], 1));
    const p2 = e.embed(input(['text'], 2));
    expect(e.ready()).toBe(false);
    await expect(e.embed(input(['text'], 3))).rejects.toBeInstanceOf(QueueFullError);
    await expect(e.embed(input(['text'], 4), { deadline: Date.now() - 1 })).rejects.toBeInstanceOf(QueueFullError);
    const drained = e.drain(); // flushes the waiting batch instead of waiting 5 s
    await expect(e.embed(input(['text'], 5))).rejects.toBeInstanceOf(UnavailableError);
    await drained;
    expect((await p1).embedding.length).toBe(model.cfg.core.embedDim);
    expect((await p2).modality).toBe('text');
    await e.close();

    const t = engine({ maxBatch: 4, maxQueueDelayUs: 0 });
    await expect(t.generate(input(['text'], 1), greedy(), { deadline: Date.now() - 1 })).rejects.toBeInstanceOf(RequestTimeoutError);
    const ac = new AbortController();
    const cancelled = t.generate(input(['text'], 1), greedy(30), { signal: ac.signal }, () => ac.abort());
    await expect(cancelled).rejects.toThrow(/cancelled/);
    expect(t.stats()).toEqual({ queued: 0, running: 0, capacity: 1024 });
    await t.close();
  });
});
