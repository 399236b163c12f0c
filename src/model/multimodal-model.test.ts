import { describe, expect, it } from 'vitest';
import { gradients } from '../autodiff/gradients.js';
import { emitModel } from '../graph/emit-onnx.js';
import { Graph } from '../graph/graph.js';
import type { HostTensor } from '../graph/host-tensor.js';
import * as op from '../graph/ops/index.js';
import { Random } from '../graph/random.js';
import { initParams } from '../runtime/init-params.js';
import { Session } from '../runtime/session.js';
import { softmaxCrossEntropy } from '../train/losses/cross-entropy.js';
import { loadModelConfig, readModelConfigJson, validateModelConfig, type ModelConfig } from './config.js';
import { allSignatures, MODALITIES, type Modality } from './modalities.js';
import { declareModelInputs, mediaShape } from './model-inputs.js';
import { MultimodalModel } from './multimodal-model.js';

const cfg = loadModelConfig('mm-tiny');
const B = 2;
const TEXT_LEN = 5;
const CAPTION_LEN = 4;

/**
 * Tokens each modality contributes on mm-tiny: text = its length; image
 * (32/8)² = 16 patches; audio 1 s at 8 kHz, hop 128 → 61 log-mel frames,
 * 4 per token → 15; video (4/2) tubelets × (32/8)² patches = 32.
 */
const TOKENS: Record<Modality, number> = { text: TEXT_LEN, image: 16, audio: 15, video: 32 };

function hostInputs(c: ModelConfig, sig: Modality[], seed: number): Record<string, HostTensor> {
  const rng = new Random(seed);
  const feeds: Record<string, HostTensor> = {};
  for (const m of sig) {
    if (m === 'text') {
      feeds.text_ids = { dtype: 'int64', shape: [B, TEXT_LEN], data: BigInt64Array.from({ length: B * TEXT_LEN }, () => BigInt(rng.int(c.core.vocabSize))) };
      feeds.text_mask = { dtype: 'bool', shape: [B, TEXT_LEN], data: Uint8Array.from([1, 1, 1, 1, 1, 1, 1, 1, 0, 0]) };
    } else {
      const shape = [B, ...mediaShape(c, m)];
      feeds[m] = { dtype: 'float32', shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.nextFloat()) };
    }
  }
  return feeds;
}

/** Traces forward + a loss that touches every output, and the gradient of every parameter. */
function trace(sig: Modality[], c: ModelConfig = cfg) {
  const g = new Graph(`mm-tiny-${sig.join('+')}`);
  const model = new MultimodalModel(g, c, sig);
  const out = model.forward(declareModelInputs(g, c, sig), { training: true });
  const caption = g.input('caption', 'int64', ['batch', CAPTION_LEN]);
  const logits = model.decoder.apply(caption, out.fused!.tokens, out.fused!.mask); // [B, L, V]
  const embedTerm = sig.map((m) => op.reduceMean(out.embeddings[m]!)).reduce((a, b) => op.add(a, b)); // []
  const loss = op.add(op.add(softmaxCrossEntropy(logits, caption), embedTerm), op.add(op.reduceMean(op.square(out.fused!.tokens)), out.auxLoss)); // []
  const params = [...g.params.values()].map((p) => p.value);
  const grads = gradients(loss, params);
  g.output('loss', loss);
  g.output('gate_weights', out.gateWeights!);
  g.output('fused', out.fused!.tokens);
  for (const m of sig) g.output(`embedding_${m}`, out.embeddings[m]!);
  g.output('tokens_per_expert', out.moe[0]!.stats.tokensPerExpert);
  grads.forEach((gr, i) => g.output(`grad:${[...g.params.keys()][i]}`, gr ?? missingGrad([...g.params.keys()][i]!)));
  return { g, model };
}

function missingGrad(path: string): never {
  throw new Error(`no gradient reaches ${path}`);
}

describe('the multimodal MoE model on mm-tiny', () => {
  it.each(allSignatures().map((s) => [s.join('+'), s] as const))('%s: forward and backward run, with documented shapes', async (_, sig) => {
    const { g } = trace([...sig]);
    const params = initParams(g, 1);
    const session = await Session.create(emitModel(g));
    const feeds: Record<string, HostTensor> = { ...hostInputs(cfg, [...sig], 2), caption: { dtype: 'int64', shape: [B, CAPTION_LEN], data: BigInt64Array.from([1n, 5n, 9n, 2n, 3n, 3n, 7n, 2n]) } };
    for (const [k, v] of params) feeds[k] = v;
    const out = await session.run(feeds);
    const T = sig.reduce((s, m) => s + TOKENS[m], 0);
    expect(out.fused!.shape).toEqual([B, T, cfg.core.dim]);
    expect(out.gate_weights!.shape).toEqual([B, 4]);
    const w = out.gate_weights!.data as Float32Array;
    for (let b = 0; b < B; b++) {
      const row = MODALITIES.map((_, i) => w[b * 4 + i]!);
      MODALITIES.forEach((m, i) => (sig.includes(m) ? expect(row[i]).toBeGreaterThan(0) : expect(row[i]).toBe(0)));
      expect(row.reduce((a, c) => a + c, 0)).toBeCloseTo(1, 5);
    }
    for (const m of sig) {
      expect(out[`embedding_${m}`]!.shape).toEqual([B, cfg.core.embedDim]);
      const e = out[`embedding_${m}`]!.data as Float32Array;
      expect(Math.hypot(...e.subarray(0, cfg.core.embedDim))).toBeCloseTo(1, 4); // unit norm
    }
    expect(Number.isFinite((out.loss!.data as Float32Array)[0])).toBe(true);
    // Every parameter of the graph gets a finite gradient of its own shape.
    for (const [path, info] of g.params) {
      const grad = out[`grad:${path}`]!;
      expect(grad.shape).toEqual(info.value.shape);
      expect((grad.data as Float32Array).every(Number.isFinite)).toBe(true);
    }
    // Only present modalities have encoder parameters in the graph.
    for (const m of MODALITIES) expect([...g.params.keys()].some((p) => p.startsWith(`encoders.${m}.`))).toBe(sig.includes(m));
    await session.release();
  });

  it('fusion.imageMerge / videoMerge: image and video tokens enter the fusion merged 2×2, and the mergers train', async () => {
    const raw = readModelConfigJson('mm-tiny') as { fusion: Record<string, unknown> };
    const merged = validateModelConfig({ ...raw, fusion: { ...raw.fusion, imageMerge: 2, videoMerge: 2 } });
    const sig: Modality[] = ['text', 'image', 'video'];
    const { g } = trace(sig, merged);
    const params = initParams(g, 1);
    const session = await Session.create(emitModel(g));
    const feeds: Record<string, HostTensor> = { ...hostInputs(merged, sig, 2), caption: { dtype: 'int64', shape: [B, CAPTION_LEN], data: BigInt64Array.from([1n, 5n, 9n, 2n, 3n, 3n, 7n, 2n]) } };
    for (const [k, v] of params) feeds[k] = v;
    const out = await session.run(feeds);
    expect(out.fused!.shape).toEqual([B, TEXT_LEN + TOKENS.image / 4 + TOKENS.video / 4, cfg.core.dim]);
    for (const path of ['fusion.merge_image.proj.weight', 'fusion.merge_video.norm.weight']) {
      const grad = out[`grad:${path}`]!.data as Float32Array;
      expect(grad.some((v) => v !== 0)).toBe(true);
    }
    await session.release();
    expect(() => validateModelConfig({ ...raw, fusion: { ...raw.fusion, imageMerge: 3 } })).toThrow(/'fusion.imageMerge' \(3\) must divide the image token grid side \(4\)/);
  });
});
