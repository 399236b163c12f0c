/**
 * Turning a scheduled batch into the feeds of its task's graph: padded token
 * tensors, stacked media, masks for masked modelling (random but a function
 * of (seed, stage, step)), decoder inputs and targets.
 */
import type { BpeTokenizer } from '../data/tokenizer/tokenizer.js';
import type { HostTensor } from '../graph/host-tensor.js';
import { Random } from '../graph/random.js';
import type { ModelConfig } from '../model/config.js';
import { decoderPrompt } from '../model/decoder-prompt.js';
import { melFrameCount } from '../model/encoders/mel.js';
import type { Modality } from '../model/modalities.js';
import { audioSamples, mediaShape, videoInputScale, videoInputSize } from '../model/model-inputs.js';
import type { DatasetExample } from './dataset.js';
import type { ScheduledBatch } from './schedule.js';

/** Fraction of patches/tubelets (image, video) and of audio tokens hidden in masked modelling. */
export const MASK_RATIO = { image: 0.5, video: 0.5, audio: 0.3 } as const;

/** Token rows padded with `pad` to the longest (at most maxLen): ids [B, L] and bool mask [B, L]. */
export function padTokens(rows: readonly number[][], pad: number, maxLen: number): { ids: HostTensor; mask: HostTensor } {
  const len = Math.max(1, Math.min(maxLen, Math.max(...rows.map((r) => r.length))));
  const ids = new BigInt64Array(rows.length * len).fill(BigInt(pad));
  const mask = new Uint8Array(rows.length * len);
  rows.forEach((r, b) => {
    r.slice(0, len).forEach((t, i) => {
      ids[b * len + i] = BigInt(t);
      mask[b * len + i] = 1;
    });
  });
  return { ids: { dtype: 'int64', shape: [rows.length, len], data: ids }, mask: { dtype: 'bool', shape: [rows.length, len], data: mask } };
}

/** Teacher forcing: inputs [bos, t…], targets [t…, eos], weight 1 on real targets. Names `<prefix>_ids/_targets/_weights`. */
export function teacherForcing(rows: readonly number[][], tok: BpeTokenizer, maxLen: number, prefix: string): Record<string, HostTensor> {
  const inputs = rows.map((r) => [tok.bosId, ...r].slice(0, maxLen));
  const targets = rows.map((r) => [...r, tok.eosId].slice(0, maxLen));
  const a = padTokens(inputs, tok.padId, maxLen);
  const b = padTokens(targets, tok.padId, maxLen);
  const weights = Float32Array.from(b.mask.data as Uint8Array);
  return { [`${prefix}_ids`]: a.ids, [`${prefix}_targets`]: b.ids, [`${prefix}_weights`]: { dtype: 'float32', shape: b.mask.shape, data: weights } };
}

/**
 * Decoder inputs and targets for instruction tuning: the decoder reads its
 * prompt (decoderPrompt: <bos>, question, <sep>) and then the answer; only
 * the answer tokens and <eos> are learned (weight 1), the prompt is context
 * (weight 0). Names `dec_ids`, `dec_targets`, `dec_weights`.
 */
export function promptedTeacherForcing(examples: readonly DatasetExample[], tok: BpeTokenizer, maxLen: number): Record<string, HostTensor> {
  const seqs = examples.map((ex) => {
    const prompt = decoderPrompt(tok, ex.prompt, maxLen);
    const full = [...prompt, ...ex.target!, tok.eosId].slice(0, maxLen + 1); // inputs are full[0..n-1], targets full[1..n]
    return { full, learnedFrom: prompt.length - 1 };
  });
  const len = Math.max(...seqs.map((s) => s.full.length - 1));
  const ids = new BigInt64Array(examples.length * len).fill(BigInt(tok.padId));
  const targets = new BigInt64Array(examples.length * len).fill(BigInt(tok.padId));
  const weights = new Float32Array(examples.length * len);
  seqs.forEach(({ full, learnedFrom }, b) => {
    for (let i = 0; i < full.length - 1; i++) {
      ids[b * len + i] = BigInt(full[i]!);
      targets[b * len + i] = BigInt(full[i + 1]!);
      if (i >= learnedFrom) weights[b * len + i] = 1;
    }
  });
  return {
    dec_ids: { dtype: 'int64', shape: [examples.length, len], data: ids },
    dec_targets: { dtype: 'int64', shape: [examples.length, len], data: targets },
    dec_weights: { dtype: 'float32', shape: [examples.length, len], data: weights },
  };
}

/** Stacks one media kind of the examples: [B, ...shape]. */
export function stackMedia(examples: readonly DatasetExample[], m: Exclude<Modality, 'text'>, cfg: ModelConfig): HostTensor {
  const shape = mediaShape(cfg, m);
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(examples.length * n);
  examples.forEach((ex, i) => {
    const x = ex[m];
    if (!x || x.length !== n) throw new Error(`example ${ex.id} (manifest line ${ex.line}): ${m} has ${x?.length ?? 0} values, expected ${n}`);
    out.set(x, i * n);
  });
  return { dtype: 'float32', shape: [examples.length, ...shape], data: out };
}

/** The model inputs of `signature` for these examples (text from `text`: pair text or prompt). */
export function modelFeeds(examples: readonly DatasetExample[], signature: readonly Modality[], cfg: ModelConfig, tok: BpeTokenizer, text: 'pair' | 'prompt'): Record<string, HostTensor> {
  const feeds: Record<string, HostTensor> = {};
  for (const m of signature) {
    if (m === 'text') {
      const rows = examples.map((ex) => (text === 'pair' ? ex.pairText : ex.prompt) ?? []);
      const { ids, mask } = padTokens(rows, tok.padId, cfg.text.maxTextLen);
      feeds.text_ids = ids;
      feeds.text_mask = mask;
    } else feeds[m] = stackMedia(examples, m, cfg);
  }
  return feeds;
}

/**
 * All feeds of a scheduled batch at `step` of `stage`. Media in `o.features`
 * are left out: the instruction graph reads them as encoder features
 * (train/encoder-features.ts), which the caller adds.
 */
export function batchFeeds(batch: ScheduledBatch, cfg: ModelConfig, tok: BpeTokenizer, o: { seed: number; step: number; features?: readonly Modality[] }): Record<string, HostTensor> {
  const { key, samples } = batch;
  const examples = samples.map((s) => s.example!);
  switch (key.task) {
    case 'lm':
      return teacherForcing(samples.map((s) => s.tokens!), tok, cfg.decoder.maxLen, 'lm');
    case 'contrastive':
      return modelFeeds(examples, key.signature, cfg, tok, 'pair');
    case 'instruct':
      return {
        ...modelFeeds(examples, key.signature.filter((m) => !o.features?.includes(m)), cfg, tok, 'prompt'),
        ...promptedTeacherForcing(examples, tok, cfg.decoder.maxLen),
        noise_seed: { dtype: 'int64', shape: [], data: BigInt64Array.of(BigInt(o.seed * 1_000_003 + o.step)) },
      };
    case 'masked': {
      const m = key.signature[0] as Exclude<Modality, 'text'>;
      const clean = stackMedia(examples, m, cfg);
      const rng = new Random(o.seed).fork(`mask.${m}`).fork(o.step);
      const { masked, tokenMask } = maskMedia(clean, m, cfg, rng);
      return { [m]: masked, [`${m}_target`]: clean, [`${m}_token_mask`]: tokenMask };
    }
  }
}

/** Blanks a random MASK_RATIO of each example's tokens (pixels of patches / tubelets, samples of audio tokens). */
export function maskMedia(clean: HostTensor, m: Exclude<Modality, 'text'>, cfg: ModelConfig, rng: Random): { masked: HostTensor; tokenMask: HostTensor } {
  const b = clean.shape[0]!;
  const src = clean.data as Float32Array;
  const out = src.slice();
  const per = src.length / b;
  const tokens = tokenLayout(m, cfg);
  const mask = new Float32Array(b * tokens.count);
  for (let i = 0; i < b; i++) {
    const k = Math.max(1, Math.round(MASK_RATIO[m] * tokens.count));
    const order = [...Array(tokens.count).keys()];
    for (let j = order.length - 1; j > 0; j--) {
      const r = rng.int(j + 1);
      [order[j], order[r]] = [order[r]!, order[j]!];
    }
    for (const t of order.slice(0, k)) {
      mask[i * tokens.count + t] = 1;
      tokens.blank(out.subarray(i * per, (i + 1) * per), t);
    }
  }
  return { masked: { ...clean, data: out }, tokenMask: { dtype: 'float32', shape: [b, tokens.count], data: mask } };
}

/** How many tokens a media input has and how to blank token t of one example in place. */
function tokenLayout(m: Exclude<Modality, 'text'>, cfg: ModelConfig): { count: number; blank: (x: Float32Array, t: number) => void } {
  if (m === 'audio') {
    const frames = melFrameCount(audioSamples(cfg), cfg.audio);
    const count = Math.floor(frames / cfg.audio.framesPerToken);
    const span = cfg.audio.framesPerToken * cfg.audio.hop;
    return { count, blank: (x, t) => x.fill(0, t * span, Math.min(x.length, (t + 1) * span + cfg.audio.fftSize - cfg.audio.hop)) };
  }
  // A video that comes in larger than videoSize (keyframe path) is averaged down by whole blocks, so a tubelet covers patch · k input pixels.
  const [frames, size, patch, tub] =
    m === 'image'
      ? [1, cfg.image.imageSize, cfg.image.patchSize, 1]
      : [cfg.video.videoFrames, videoInputSize(cfg), cfg.video.videoPatch * videoInputScale(cfg), cfg.video.tubeletFrames];
  const grid = size / patch;
  const count = (frames / tub) * grid * grid;
  return {
    count,
    blank: (x, t) => {
      const ft = Math.floor(t / (grid * grid));
      const r = Math.floor((t % (grid * grid)) / grid);
      const c = t % grid;
      for (let f = ft * tub; f < (ft + 1) * tub; f++) {
        for (let ch = 0; ch < 3; ch++) {
          for (let y = r * patch; y < (r + 1) * patch; y++) {
            const row = ((f * 3 + ch) * size + y) * size;
            x.fill(0, row + c * patch, row + (c + 1) * patch);
          }
        }
      }
    },
  };
}
