import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { emitModel } from '../graph/emit-onnx.js';
import { Graph } from '../graph/graph.js';
import type { HostTensor } from '../graph/host-tensor.js';
import { Random } from '../graph/random.js';
import { paramsFor } from '../runtime/export-onnx.js';
import { Session } from '../runtime/session.js';
import { loadModelConfig, readModelConfigJson, validateModelConfig, type ModelConfig } from './config.js';
import { allSignatures, MODALITIES, type Modality } from './modalities.js';
import { declareModelInputs, mediaShape } from './model-inputs.js';
import { buildEmbedGraph, buildEncodeGraph, exportInferenceModel, randomModelParams } from './inference-graphs.js';
import { ModelRuntime } from './model-runtime.js';
import { MultimodalModel } from './multimodal-model.js';

const cfg = loadModelConfig('mm-tiny');
const dir = mkdtempSync(join(tmpdir(), 'mixmodal-infer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Random inputs of `sig` for `b` rows; text rows of 6 positions with `textLengths[row]` real tokens (default 5). */
function feedsFor(sig: readonly Modality[], seed: number, b = 2, textLengths: number[] = []): Record<string, HostTensor> {
  const rng = new Random(seed);
  const feeds: Record<string, HostTensor> = {};
  for (const m of sig) {
    if (m === 'text') {
      feeds.text_ids = { dtype: 'int64', shape: [b, 6], data: BigInt64Array.from({ length: b * 6 }, () => BigInt(rng.int(cfg.core.vocabSize))) };
      feeds.text_mask = { dtype: 'bool', shape: [b, 6], data: Uint8Array.from({ length: b * 6 }, (_, i) => (i % 6 < (textLengths[Math.floor(i / 6)] ?? 5) ? 1 : 0)) };
    } else {
      const shape = [b, ...mediaShape(cfg, m)];
      feeds[m] = { dtype: 'float32', shape, data: Float32Array.from({ length: shape.reduce((x, y) => x * y, 1) }, () => rng.nextFloat()) };
    }
  }
  return feeds;
}

describe('inference graphs', () => {
  const params = randomModelParams(cfg, 3);

  it('exported encode and decoder files give the traced graphs’ outputs in fresh sessions', async () => {
    const sigs: Modality[][] = [['text', 'image'], ['audio', 'video'], ['text', 'image', 'audio', 'video']];
    const files = await exportInferenceModel(dir, cfg, params, sigs);
    expect(files).toEqual(['encode.text+image.onnx', 'encode.audio+video.onnx', 'encode.text+image+audio+video.onnx', 'decoder-memory.onnx', 'decoder-step.onnx']);
    for (const sig of sigs) {
      const g = buildEncodeGraph(cfg, sig);
      const traced = await Session.create(emitModel(g)); // weights as inputs
      const feeds = feedsFor(sig, 7);
      const expected = await traced.run({ ...feeds, ...Object.fromEntries(params) });
      const fresh = await Session.create(join(dir, `encode.${sig.join('+')}.onnx`));
      const got = await fresh.run(feeds);
      expect(Object.keys(got).sort()).toEqual(Object.keys(expected).sort());
      for (const [k, v] of Object.entries(expected)) {
        expect(got[k]!.shape).toEqual(v.shape);
        const a = Array.from(got[k]!.data as ArrayLike<number | bigint>, Number);
        const e = Array.from(v.data as ArrayLike<number | bigint>, Number);
        a.forEach((x, i) => expect(x).toBeCloseTo(e[i]!, 5));
      }
      await Promise.all([traced.release(), fresh.release()]);
    }
    const step = await Session.create(join(dir, 'decoder-step.onnx'));
    expect(step.inputNames).toContain('ids');
    expect(step.inputNames).toContain('past_k.0');
    await step.release();
  });

  it('an absent modality has gate weight exactly 0 and its weights change nothing', async () => {
    const feeds = feedsFor(['text', 'image'], 11);
    const a = new ModelRuntime(cfg, params);
    const changed = new Map(params);
    for (const [k, v] of params) {
      if (k.startsWith('encoders.audio.') || k.startsWith('heads.audio')) changed.set(k, { ...v, data: (v.data as Float32Array).map((x) => x * -3 + 1) });
    }
    const b = new ModelRuntime(cfg, changed);
    const ra = await a.encode(['text', 'image'], feeds);
    const rb = await b.encode(['text', 'image'], feeds);
    const w = ra.gate_weights!.data as Float32Array;
    for (let row = 0; row < 2; row++) {
      expect(w[row * 4 + 2]).toBe(0); // audio
      expect(w[row * 4 + 3]).toBe(0); // video
      expect(w[row * 4]! + w[row * 4 + 1]!).toBeCloseTo(1, 6);
    }
    for (const k of Object.keys(ra)) expect(rb[k]!.data).toEqual(ra[k]!.data);
    await Promise.all([a.release(), b.release()]);
  });

  it('the uniform gate strategy weighs the present modalities equally', async () => {
    const rt = new ModelRuntime(cfg, params);
    for (const sig of allSignatures().filter((s) => s.length > 1)) {
      const r = await rt.encode(sig, feedsFor(sig, 5), { gateStrategy: 'uniform' });
      const w = r.gate_weights!.data as Float32Array;
      (['text', 'image', 'audio', 'video'] as const).forEach((m, i) => expect(w[i]).toBeCloseTo(sig.includes(m) ? 1 / sig.length : 0, 6));
    }
    await rt.release();
  });
});

/** mm-tiny with two blocks in every encoder (so the pooled-only path runs one block fully before the last) and the given pooling. */
function twoLayerConfig(pooling: 'cls' | 'mean'): ModelConfig {
  const raw = readModelConfigJson('mm-tiny') as Record<string, Record<string, unknown>>;
  return validateModelConfig({ ...raw, pooling, ...Object.fromEntries(MODALITIES.map((m) => [m, { ...raw[m], layers: 2 }])) });
}

describe('embed graph', () => {
  it.each(['cls', 'mean'] as const)('with %s pooling gives the encode graph’s embeddings for every modality, text rows of different lengths', async (pooling) => {
    const c = twoLayerConfig(pooling);
    const rt = new ModelRuntime(c, randomModelParams(c, 4));
    const feeds = feedsFor(MODALITIES, 13, 3, [6, 3, 1]);
    const embedded = await rt.embed(MODALITIES, feeds);
    const encoded = await rt.encode(MODALITIES, feeds);
    for (const m of MODALITIES) {
      const [a, e] = [embedded[`embedding.${m}`]!, encoded[`embedding.${m}`]!];
      expect(a.shape).toEqual([3, c.core.embedDim]);
      const diff = Array.from(a.data as Float32Array).reduce((d, x, i) => Math.max(d, Math.abs(x - (e.data as Float32Array)[i]!)), 0);
      expect(diff, m).toBeLessThan(1e-5);
    }
    await rt.release();
  });

  it('with mean pooling is the encoders-only forward graph, node for node', () => {
    const c = twoLayerConfig('mean');
    const g = new Graph(`embed.${MODALITIES.join('+')}`);
    const out = new MultimodalModel(g, c, MODALITIES).forward(declareModelInputs(g, c, MODALITIES), { training: false, encodersOnly: true });
    for (const m of MODALITIES) g.output(`embedding.${m}`, out.embeddings[m]!); // [B, E]
    expect(emitModel(buildEmbedGraph(c, MODALITIES))).toEqual(emitModel(g));
  });

  it('with cls pooling runs each encoder’s last MLP on one row per example, the one before on every token', async () => {
    const c = twoLayerConfig('cls');
    const g = buildEmbedGraph(c, MODALITIES);
    const mlp = (m: Modality, layer: number) => g.nodes.find((n) => n.scope === `${m}.layers.${layer}.mlp` && n.opType === 'Gelu')!.outputs[0]!; // [B, T', hidden]
    const outputs = MODALITIES.flatMap((m) => [0, 1].map((l) => ({ name: `${m}.${l}`, value: mlp(m, l) })));
    const s = await Session.create(emitModel(g, { outputs, paramValues: paramsFor(g, randomModelParams(c, 4)) }));
    const got = await s.run(feedsFor(MODALITIES, 13, 3, [6, 3, 1]));
    const tokens = { text: 6, image: 16, audio: 15, video: 32 }; // mm-tiny's token counts; layer 0 also runs the cls token
    for (const m of MODALITIES) {
      expect(got[`${m}.0`]!.shape, m).toEqual([3, 1 + tokens[m], 64]);
      expect(got[`${m}.1`]!.shape, m).toEqual([3, 1, 64]);
    }
    await s.release();
  });
});
