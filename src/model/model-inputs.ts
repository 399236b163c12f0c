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
 * | `video`      | float32 | [batch, videoFrames, 3, videoSize, videoSize] |
 *
 * In place of a media input `m`, a graph may take that encoder's outputs
 * (declareFeatureInputs): `m_tokens` float32 [batch, m_len, D] and
 * `m_pooled` float32 [batch, D].
 */
import type { Graph } from '../graph/graph.js';
import type { ModelConfig } from './config.js';
import type { MediaModality, Modality } from './modalities.js';
import type { ModelInputs } from './multimodal-model.js';

/** Samples of an audio input: clips are padded or cut to maxAudioSeconds. */
export function audioSamples(cfg: ModelConfig): number {
  return Math.round(cfg.audio.sampleRate * cfg.audio.maxAudioSeconds);
}

/** Static shape of each media input for one example (without the batch dim). */
export function mediaShape(cfg: ModelConfig, m: Exclude<Modality, 'text'>): number[] {
  switch (m) {
    case 'image':
      return [3, cfg.image.imageSize, cfg.image.imageSize];
    case 'audio':
      return [audioSamples(cfg)];
    case 'video':
      return [cfg.video.videoFrames, 3, cfg.video.videoSize, cfg.video.videoSize];
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

/**
 * Declares encoder-output inputs (`<m>_tokens` [batch, <m>_len, D],
 * `<m>_pooled` [batch, D]) for the media modalities in `modalities`, as
 * ModelInputs.features.
 */
export function declareFeatureInputs(g: Graph, cfg: ModelConfig, modalities: readonly MediaModality[]): NonNullable<ModelInputs['features']> {
  const d = cfg.core.dim;
  return Object.fromEntries(
    modalities.map((m) => [m, { tokens: g.input(`${m}_tokens`, 'float32', ['batch', `${m}_len`, d]), pooled: g.input(`${m}_pooled`, 'float32', ['batch', d]) }]),
  );
}
