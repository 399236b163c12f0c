import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { emitModel } from '../graph/emit-onnx.js';
import type { HostTensor } from '../graph/host-tensor.js';
import { Random } from '../graph/random.js';
import { Session } from '../runtime/session.js';
import { loadModelConfig } from './config.js';
import { allSignatures, type Modality } from './modalities.js';
import { mediaShape } from './model-inputs.js';
import { buildEncodeGraph, exportInferenceModel, randomModelParams } from './inference-graphs.js';
import { ModelRuntime } from './model-runtime.js';

const cfg = loadModelConfig('mm-tiny');
const dir = mkdtempSync(join(tmpdir(), 'mixmodal-infer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function feedsFor(sig: readonly Modality[], seed: number, b = 2): Record<string, HostTensor> {
  const rng = new Random(seed);
  const feeds: Record<string, HostTensor> = {};
  for (const m of sig) {
    if (m === 'text') {
      feeds.text_ids = { dtype: 'int64', shape: [b, 6], data: BigInt64Array.from({ length: b * 6 }, () => BigInt(rng.int(cfg.core.vocabSize))) };
      feeds.text_mask = { dtype: 'bool', shape: [b, 6], data: Uint8Array.from({ length: b * 6 }, (_, i) => (i % 6 < 5 ? 1 : 0)) };
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
