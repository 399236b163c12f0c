/**
 * The graph inputs of a model traced for one modality signature, with fixed
 * names and shapes, so data loaders, servers and exported files agree:
 *
 * | input        | dtype   | shape                                   |
 * | ------------ | ------- | --------------------------------------- |
 * | `text_ids`   | int64   | [batch, text_len]                       |
 * | `text_mask`  | bool    | [batch, text_len] (true = real token)   |
 * | `image`      | float32 | [batch, 3, imageSize, imageSize], 0..1  |
 * | `audio`      | float32 | [batch, sampleRate·maxAudioSeconds]     |
 * | `video`      | float32 | [batch, videoFrames, 3, S, S], S = videoInputSize |
 *
 * In place of a media input `m`, a graph may take its fixed encoder's outputs
 * (declareFeatureInputs; train/encoder-features.ts): `m_tokens` float32
 * [batch, m_len, D], `m_pooled` float32 [batch, D], and for a video with the
 * keyframe path `video_keyframes` float32 [batch, keyframes, N_img, D].
 */
import type { Graph } from '../graph/graph.js';
import type { ModelConfig } from './config.js';
import type { MediaModality, Modality } from './modalities.js';
import type { MediaFeatures, ModelInputs } from './multimodal-model.js';

/** Samples of an audio input: clips are padded or cut to maxAudioSeconds. */
export function audioSamples(cfg: ModelConfig): number {
  return Math.round(cfg.audio.sampleRate * cfg.audio.maxAudioSeconds);
}

/**
 * Side of the video input's frames: videoSize, or imageSize when the video
 * has a keyframe path (`video.keyframe` 'image': the first frame goes to the
 * image encoder at its size; the tubelets see the clip averaged down).
 */
export function videoInputSize(cfg: ModelConfig): number {
  return cfg.video.keyframe === 'image' ? cfg.image.imageSize : cfg.video.videoSize;
}

/** How many input pixels per side the tubelets see as one (1, or imageSize / videoSize with the keyframe path). */
export function videoInputScale(cfg: ModelConfig): number {
  return videoInputSize(cfg) / cfg.video.videoSize;
}

/** What a video file is decoded to for this model: frames sampled evenly over the clip, resized to a side of `size`. */
export function videoDecodeShape(cfg: ModelConfig): { frames: number; size: number } {
  return { frames: cfg.video.videoFrames, size: videoInputSize(cfg) };
}

/** Static shape of each media input for one example (without the batch dim). */
export function mediaShape(cfg: ModelConfig, m: Exclude<Modality, 'text'>): number[] {
  switch (m) {
    case 'image':
      return [3, cfg.image.imageSize, cfg.image.imageSize];
    case 'audio':
      return [audioSamples(cfg)];
    case 'video':
      return [cfg.video.videoFrames, 3, videoInputSize(cfg), videoInputSize(cfg)];
  }
}

/** Declares the inputs of `signature` on `g` and returns them as ModelInputs. */
export function declareModelInputs(g: Graph, cfg: ModelConfig, signature: readonly Modality[]): ModelInputs {
  const inputs: ModelInputs = {};
  for (const m of signature) {
    if (m === 'text') {
      inputs.text = { ids: g.input('text_ids', 'int64', ['batch', 'text_len']), mask: g.input('text_mask', 'bool', ['batch', 'text_len']) };
    } else {
      inputs[m] = g.input(m, 'float32', ['batch', ...mediaShape(cfg, m)]);
    }
  }
  return inputs;
}

/** Image-encoder tokens of one frame: (imageSize / patchSize)². */
export function imageTokenCount(cfg: ModelConfig): number {
  return (cfg.image.imageSize / cfg.image.patchSize) ** 2;
}

/** One part of media m's encoder features. */
export type FeaturePart = 'tokens' | 'pooled' | 'keyframes';

/** The graph input name of one part of media m's encoder features, e.g. `video_keyframes`. */
export function featureInputName(m: MediaModality, part: FeaturePart): string {
  return `${m}_${part}`;
}

/**
 * Declares encoder-output inputs for the media in `modalities` (see the
 * table above), as ModelInputs.features: `<m>_tokens` [batch, <m>_len, D],
 * `<m>_pooled` [batch, D], and `video_keyframes` when the video has a keyframe path.
 */
export function declareFeatureInputs(g: Graph, cfg: ModelConfig, modalities: readonly MediaModality[]): Partial<Record<MediaModality, MediaFeatures>> {
  const d = cfg.core.dim;
  const out: Partial<Record<MediaModality, MediaFeatures>> = {};
  for (const m of modalities) {
    out[m] = { tokens: g.input(featureInputName(m, 'tokens'), 'float32', ['batch', `${m}_len`, d]), pooled: g.input(featureInputName(m, 'pooled'), 'float32', ['batch', d]) };
    if (m === 'video' && cfg.video.keyframe === 'image') out.video!.keyframes = g.input(featureInputName(m, 'keyframes'), 'float32', ['batch', cfg.video.keyframes, imageTokenCount(cfg), d]);
  }
  return out;
}
