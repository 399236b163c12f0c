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
import { allSignatures, MODALITIES, modalityIndex, type Modality } from './modalities.js';
import { declareModelInputs, mediaShape } from './model-inputs.js';
import { maxStreamTokens } from './fusion.js';
import { keyframeIndices, MultimodalModel } from './multimodal-model.js';

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
  g.output('tokens_per_modality_expert', out.moe[0]!.stats.tokensPerModalityExpert!);
  grads.forEach((gr, i) => g.output(`grad:${[...g.params.keys()][i]}`, gr ?? missingGrad([...g.params.keys()][i]!)));
  return { g, model };
}

/** Traces `sig` on `c`, initialises its parameters (seed 1) and runs it once on random inputs (seed 2) and a fixed caption. */
async function runTraced(sig: Modality[], c: ModelConfig) {
  const { g } = trace(sig, c);
  const session = await Session.create(emitModel(g));
  const feeds: Record<string, HostTensor> = { ...hostInputs(c, sig, 2), caption: { dtype: 'int64', shape: [B, CAPTION_LEN], data: BigInt64Array.from([1n, 5n, 9n, 2n, 3n, 3n, 7n, 2n]) } };
  for (const [k, v] of initParams(g, 1)) feeds[k] = v;
  return { g, session, out: await session.run(feeds) };
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
    const { session, out } = await runTraced(sig, merged);
    expect(out.fused!.shape).toEqual([B, TEXT_LEN + TOKENS.image / 4 + TOKENS.video / 4, cfg.core.dim]);
    for (const path of ['fusion.merge_image.proj.weight', 'fusion.merge_video.norm.weight']) {
      const grad = out[`grad:${path}`]!.data as Float32Array;
      expect(grad.some((v) => v !== 0)).toBe(true);
    }
    await session.release();
    expect(() => validateModelConfig({ ...raw, fusion: { ...raw.fusion, imageMerge: 3 } })).toThrow(/'fusion.imageMerge' \(3\) must divide the image token grid side \(4\)/);
  });

  it("fusion.positions 'learned': each stream's tokens get rows 0..T_m−1 of one table, which train; rows past every stream get none", async () => {
    const raw = readModelConfigJson('mm-tiny') as { fusion: Record<string, unknown> };
    expect(() => validateModelConfig({ ...raw, fusion: { ...raw.fusion, positions: 'rope' } })).toThrow(/fusion.*positions/);
    const positioned = validateModelConfig({ ...raw, fusion: { ...raw.fusion, positions: 'learned' } });
    const rows = maxStreamTokens(positioned);
    expect(rows).toBe(32); // max(maxTextLen 32, image 16, video 32, audio 15)
    const sig: Modality[] = ['text', 'image'];
    const { session, out } = await runTraced(sig, positioned);
    const T = sig.reduce((a, m) => a + TOKENS[m], 0);
    expect(out.fused!.shape).toEqual([B, T, cfg.core.dim]); // no tokens added
    const grad = out['grad:fusion.positions.weight']!; // [rows, D]
    expect(grad.shape).toEqual([rows, cfg.core.dim]);
    const d = cfg.core.dim;
    const rowTouched = (r: number) => (grad.data as Float32Array).subarray(r * d, (r + 1) * d).some((v) => v !== 0);
    const longest = Math.max(...sig.map((m) => TOKENS[m])); // image: 16
    for (let r = 0; r < longest; r++) expect(rowTouched(r)).toBe(true);
    for (let r = longest; r < rows; r++) expect(rowTouched(r)).toBe(false);
    await session.release();
    // Without the option the fusion holds no position table.
    const { g } = trace(sig);
    expect(g.params.has('fusion.positions.weight')).toBe(false);
  });
});

describe('video.keyframe image', () => {
  const raw = readModelConfigJson('mm-tiny') as { video: Record<string, unknown> };
  /** mm-tiny with 16×16 tubelet frames and the keyframe path: clips come in at imageSize 32. */
  const keyed = validateModelConfig({ ...raw, video: { ...raw.video, videoSize: 16, keyframe: 'image' } });
  const plain = validateModelConfig({ ...raw, video: { ...raw.video, videoSize: 16 } });
  const VIDEO_TOKENS = 2 * 2 * 2; // (4/2) tubelets × (16/8)² patches

  it('clips come in at imageSize; the first frame enters the fusion as image tokens beside the tubelets, and the image encoder trains through it', async () => {
    expect(mediaShape(keyed, 'video')).toEqual([4, 3, 32, 32]);
    expect(mediaShape(plain, 'video')).toEqual([4, 3, 16, 16]);
    const sig: Modality[] = ['text', 'video'];
    const { g, session, out } = await runTraced(sig, keyed);
    expect(out.fused!.shape).toEqual([B, TEXT_LEN + TOKENS.image + VIDEO_TOKENS, cfg.core.dim]);
    // The keyframe's encoder has the image encoder's parameter names, and they get gradients.
    expect([...g.params.keys()].filter((p) => p.startsWith('encoders.image.')).length).toBeGreaterThan(5);
    const rowsGrad = out['grad:encoders.image.rows.weight']!.data as Float32Array;
    expect(rowsGrad.some((v) => v !== 0)).toBe(true);
    // The routing statistics count the keyframe's tokens under video (the input they came from), none under image.
    const perModality = Array.from(out.tokens_per_modality_expert!.data as BigInt64Array, Number); // [4, E]
    const e = keyed.fusion.moe.numExperts;
    const rowSum = (m: Modality) => perModality.slice(modalityIndex(m) * e, (modalityIndex(m) + 1) * e).reduce((a, b) => a + b, 0);
    const kept = Array.from(out.tokens_per_expert!.data as BigInt64Array, Number).reduce((a, b) => a + b, 0);
    expect(rowSum('image')).toBe(0);
    expect(rowSum('video')).toBeGreaterThan(0);
    expect(rowSum('text') + rowSum('video')).toBe(kept);
    await session.release();
    // An encoders-only graph (stages 1 and 2) never runs the keyframe, so it has no image encoder.
    const g2 = new Graph('keyed-encoders-only');
    new MultimodalModel(g2, keyed, ['video']).forward(declareModelInputs(g2, keyed, ['video']), { training: true, encodersOnly: true });
    expect([...g2.params.keys()].some((p) => p.startsWith('encoders.image.'))).toBe(false);
    expect(() => validateModelConfig({ ...raw, video: { ...raw.video, videoSize: 24, videoPatch: 8, keyframe: 'image' } })).toThrow(/'video.keyframe' 'image' needs video.videoSize \(24\) to divide image.imageSize \(32\)/);
  });

  it('video.keyframes 2: the first and the last frame each enter as image tokens with their keyframe-time embedding, which trains', async () => {
    expect(keyframeIndices(4, 1)).toEqual([0]);
    expect(keyframeIndices(4, 2)).toEqual([0, 3]);
    expect(keyframeIndices(8, 3)).toEqual([0, 4, 7]);
    const two = validateModelConfig({ ...raw, video: { ...raw.video, videoSize: 16, keyframe: 'image', keyframes: 2 } });
    const { session, out } = await runTraced(['text', 'video'], two);
    expect(out.fused!.shape).toEqual([B, TEXT_LEN + 2 * TOKENS.image + VIDEO_TOKENS, cfg.core.dim]);
    const timeGrad = out['grad:fusion.keyframe_time.weight']!; // [2, D]
    expect(timeGrad.shape).toEqual([2, cfg.core.dim]);
    const rows = [0, 1].map((r) => (timeGrad.data as Float32Array).subarray(r * cfg.core.dim, (r + 1) * cfg.core.dim));
    for (const r of rows) expect(r.some((v) => v !== 0)).toBe(true);
    await session.release();
    expect(() => validateModelConfig({ ...raw, video: { ...raw.video, keyframes: 2 } })).toThrow(/'video.keyframes' \(2\) needs video.keyframe 'image'/);
    expect(() => validateModelConfig({ ...raw, video: { ...raw.video, videoSize: 16, keyframe: 'image', keyframes: 5 } })).toThrow(/'video.keyframes' \(5\) must be at most video.videoFrames \(4\)/);
  });

  // mm-tiny's 4×4 image token grid with imageMerge 2: 2×2 blocks give 4 motion tokens, one window of side 4 gives 1.
  it.each([
    ['difference', TOKENS.image / 4],
    ['difference-windows', 1],
  ] as const)("video.keyframeMotion '%s': the keyframes' token change enters as %i merged video token(s); a clip whose last frame equals its first gives the merger no input", async (kind, motionTokens) => {
    const fusionRaw = (raw as unknown as { fusion: Record<string, unknown> }).fusion;
    const moving = validateModelConfig({ ...raw, video: { ...raw.video, videoSize: 16, keyframe: 'image', keyframes: 2, keyframeMotion: kind }, fusion: { ...fusionRaw, imageMerge: 2 } });
    const { g, session, out } = await runTraced(['text', 'video'], moving);
    // text + 2 keyframes of 16/4 merged image tokens + the motion tokens + the tubelets.
    expect(out.fused!.shape).toEqual([B, TEXT_LEN + 2 * (TOKENS.image / 4) + motionTokens + VIDEO_TOKENS, cfg.core.dim]);
    expect(g.params.has('fusion.keyframe_motion.norm.weight')).toBe(false); // no norm: no change stays ≈ 0
    const weightGrad = (o: Record<string, HostTensor>) => Math.max(...(o['grad:fusion.keyframe_motion.proj.weight']!.data as Float32Array).map(Math.abs));
    expect(weightGrad(out)).toBeGreaterThan(1e-6);
    // Copy frame 0 onto the last frame (3) of each clip: the difference is 0, so the projection's weight gets no gradient while its bias still does.
    const feeds: Record<string, HostTensor> = { ...hostInputs(moving, ['text', 'video'], 2), caption: { dtype: 'int64', shape: [B, CAPTION_LEN], data: BigInt64Array.from([1n, 5n, 9n, 2n, 3n, 3n, 7n, 2n]) } };
    const clip = feeds.video!.data as Float32Array; // [B, 4, 3, 32, 32]
    const frame = 3 * 32 * 32;
    for (let b = 0; b < B; b++) clip.copyWithin((b * 4 + 3) * frame, b * 4 * frame, (b * 4 + 1) * frame);
    for (const [k, v] of initParams(g, 1)) feeds[k] = v;
    const still = await session.run(feeds);
    expect(weightGrad(still)).toBe(0);
    expect((still['grad:fusion.keyframe_motion.proj.bias']!.data as Float32Array).some((v) => v !== 0)).toBe(true);
    await session.release();
    // Without the option there is no motion stream; with one keyframe there is nothing to difference.
    const { g: g2 } = trace(['text', 'video'], validateModelConfig({ ...raw, video: { ...raw.video, videoSize: 16, keyframe: 'image', keyframes: 2 } }));
    expect([...g2.params.keys()].some((p) => p.startsWith('fusion.keyframe_motion.'))).toBe(false);
    expect(() => validateModelConfig({ ...raw, video: { ...raw.video, videoSize: 16, keyframe: 'image', keyframeMotion: kind } })).toThrow(/'video.keyframeMotion' '[a-z-]+' needs video.keyframes ≥ 2 \(got 1\)/);
  });

  it('video.motionContext: the motion window reads the earlier keyframe beside the change; with a still clip only the change half of its weight gets no gradient', async () => {
    const fusionRaw = (raw as unknown as { fusion: Record<string, unknown> }).fusion;
    const video = { ...raw.video, videoSize: 16, keyframe: 'image', keyframes: 2, keyframeMotion: 'difference-windows', motionContext: true };
    const withContext = validateModelConfig({ ...raw, video, fusion: { ...fusionRaw, imageMerge: 2 } });
    const { g, session } = await runTraced(['text', 'video'], withContext);
    const d = cfg.core.dim;
    const window = 4; // mm-tiny: a 4×4 token grid, one window of side 2·imageMerge
    expect(g.params.get('fusion.keyframe_motion.proj.weight')!.value.shape).toEqual([window * window * 2 * d, d]);
    const feeds: Record<string, HostTensor> = { ...hostInputs(withContext, ['text', 'video'], 2), caption: { dtype: 'int64', shape: [B, CAPTION_LEN], data: BigInt64Array.from([1n, 5n, 9n, 2n, 3n, 3n, 7n, 2n]) } };
    const clip = feeds.video!.data as Float32Array; // [B, 4, 3, 32, 32]
    const frame = 3 * 32 * 32;
    for (let b = 0; b < B; b++) clip.copyWithin((b * 4 + 3) * frame, b * 4 * frame, (b * 4 + 1) * frame);
    for (const [k, v] of initParams(g, 1)) feeds[k] = v;
    const grad = (await session.run(feeds))['grad:fusion.keyframe_motion.proj.weight']!.data as Float32Array; // [w²·2D, D]
    let change = 0;
    let context = 0;
    for (let row = 0; row < window * window * 2 * d; row++) {
      const m = Math.max(...grad.subarray(row * d, (row + 1) * d).map(Math.abs));
      if (row % (2 * d) < d) change = Math.max(change, m);
      else context = Math.max(context, m);
    }
    expect(change).toBe(0);
    expect(context).toBeGreaterThan(1e-6);
    await session.release();
    expect(() => validateModelConfig({ ...raw, video: { ...video, keyframeMotion: 'difference' } })).toThrow(/'video.motionContext' needs video.keyframeMotion 'difference-windows' \(got 'difference'\)/);
  });

  it('the tubelets see the clip averaged 2×2 (the same embedding as a plain model fed the averaged clip); only the keyframe sees detail inside a 2×2 block', async () => {
    const build = (c: ModelConfig) => {
      const g = new Graph('video-embed');
      const out = new MultimodalModel(g, c, ['video']).forward(declareModelInputs(g, c, ['video']), { training: false });
      g.output('embedding', out.embeddings.video!);
      g.output('fused', out.fused!.tokens);
      return g;
    };
    const gk = build(keyed);
    const gp = build(plain);
    const params = initParams(gk, 3);
    const sk = await Session.create(emitModel(gk));
    const sp = await Session.create(emitModel(gp));
    const clip = hostInputs(keyed, ['video'], 4).video!;
    const src = clip.data as Float32Array;
    const averaged = new Float32Array(src.length / 4); // [B, F, 3, 16, 16]
    for (let plane = 0; plane < src.length / 1024; plane++) {
      for (let y = 0; y < 16; y++) {
        for (let x = 0; x < 16; x++) {
          const at = (dy: number, dx: number) => src[plane * 1024 + (2 * y + dy) * 32 + 2 * x + dx]!;
          averaged[plane * 256 + y * 16 + x] = (at(0, 0) + at(0, 1) + at(1, 0) + at(1, 1)) / 4;
        }
      }
    }
    const withParams = (feeds: Record<string, HostTensor>, g: Graph) => {
      for (const k of g.params.keys()) feeds[k] = params.get(k)!;
      return feeds;
    };
    const kOut = await sk.run(withParams({ video: clip }, gk));
    const pOut = await sp.run(withParams({ video: { dtype: 'float32', shape: [B, 4, 3, 16, 16], data: averaged } }, gp));
    const diff = (a: HostTensor, b: HostTensor) => Math.max(...(a.data as Float32Array).map((v, i) => Math.abs(v - (b.data as Float32Array)[i]!)));
    expect(diff(kOut.embedding!, pOut.embedding!)).toBeLessThan(1e-5);
    // Swap two pixels inside one 2×2 block of frame 0 (block means unchanged): same embedding, other fused tokens.
    const swapped = src.slice();
    [swapped[0], swapped[1]] = [src[1]!, src[0]!];
    const sOut = await sk.run(withParams({ video: { ...clip, data: swapped } }, gk));
    expect(diff(sOut.embedding!, kOut.embedding!)).toBeLessThan(1e-6);
    expect(diff(sOut.fused!, kOut.fused!)).toBeGreaterThan(1e-4);
    await sk.release();
    await sp.release();
  });

  it('video.keyframes 2 reads detail from the first and the last frame only', async () => {
    const two = validateModelConfig({ ...raw, video: { ...raw.video, videoSize: 16, keyframe: 'image', keyframes: 2 } });
    const g = new Graph('video-fused');
    g.output('fused', new MultimodalModel(g, two, ['video']).forward(declareModelInputs(g, two, ['video']), { training: false }).fused!.tokens);
    const session = await Session.create(emitModel(g));
    const params = initParams(g, 3);
    const clip = hostInputs(two, ['video'], 4).video!; // [B, 4, 3, 32, 32]
    const fused = async (data: Float32Array) => {
      const feeds: Record<string, HostTensor> = { video: { ...clip, data } };
      for (const k of g.params.keys()) feeds[k] = params.get(k)!;
      return (await session.run(feeds)).fused!.data as Float32Array;
    };
    const base = await fused(clip.data as Float32Array);
    /** Max change of the fused tokens when two pixels inside one 2×2 block of frame f (of the first example) swap. */
    const swapEffect = async (f: number) => {
      const d = (clip.data as Float32Array).slice();
      const at = f * 3 * 32 * 32;
      [d[at], d[at + 1]] = [d[at + 1]!, d[at]!];
      const out = await fused(d);
      return Math.max(...out.map((v, i) => Math.abs(v - base[i]!)));
    };
    expect(await swapEffect(0)).toBeGreaterThan(1e-4);
    expect(await swapEffect(3)).toBeGreaterThan(1e-4);
    expect(await swapEffect(1)).toBeLessThan(1e-6);
    expect(await swapEffect(2)).toBeLessThan(1e-6);
    await session.release();
  });
});
