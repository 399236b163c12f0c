/**
 * The fusion stack: the modality token streams (already scaled by their gate
 * weights; image and video tokens merged k×k when the config asks, see
 * nn/patch-merge.ts) get a learned modality-type embedding, are concatenated along the
 * token axis, and pass through pre-norm transformer blocks in which every
 * `moeEvery`-th feed-forward is a sparse MoE layer.
 */
import type { Graph } from '../graph/graph.js';
import * as op from '../graph/ops/index.js';
import type { Value } from '../graph/value.js';
import { MoeLayer, type MoeOutput, type RemoteExperts } from '../moe/moe-layer.js';
import { Embedding } from '../nn/embedding.js';
import { LayerNorm } from '../nn/layer-norm.js';
import { PatchMerge } from '../nn/patch-merge.js';
import { TransformerBlock } from '../nn/transformer-block.js';
import { positionRows } from './encoders/encoder-common.js';
import { melFrameCount } from './encoders/mel.js';
import { audioSamples } from './model-inputs.js';
import type { ModelConfig } from './config.js';
import { MODALITIES, modalityIndex, type Modality } from './modalities.js';

/** One modality's tokens entering the fusion stack. */
export interface FusionStream {
  modality: Modality;
  /**
   * The modality the routing statistics count these tokens under (their modality id), when it is not
   * `modality`: a video's keyframe is image-typed and merged as an image, but counted as the video's.
   */
  countAs?: Modality;
  /** [B, T_m, D] */
  tokens: Value;
  /** bool [B, T_m], true = real token; absent when all are real. */
  mask?: Value;
  /** The tokens come merged already (keyframe motion): the fusion applies no merge of its own. */
  merged?: boolean;
}

export interface FusionOutput {
  /** [B, T, D], T = Σ T_m in MODALITIES order. */
  tokens: Value;
  /** bool [B, T]. */
  mask: Value;
  /** Modality id of each token (FusionStream.countAs, else its modality), int64 [B, T]. */
  modalityIds: Value;
  /** Each MoE layer's output (losses, statistics, update masks), in depth order. */
  moe: MoeOutput[];
}

export interface FusionOptions {
  training: boolean;
  /** int64 [] seed of the MoE routers' training jitter (each layer offsets it by its depth). */
  noiseSeed?: Value;
  /** Expert parallelism: the MoE layers' experts computed elsewhere (see MoeApplyOptions.remoteExperts). */
  remoteExperts?: RemoteExperts;
}

export class FusionStack {
  readonly typeEmbedding: Embedding;
  readonly blocks: TransformerBlock[];
  /** The MoE layer of block i, or null for a dense block. */
  readonly moe: (MoeLayer | null)[];
  readonly norm: LayerNorm;
  /** Token mergers of the image and video streams (`<name>.merge_image`, `<name>.merge_video`), when their merge is > 1. */
  readonly merges: Partial<Record<Modality, PatchMerge>> = {};
  /** With `fusion.positions: 'learned'`, each token's index within its stream (`<name>.positions`, maxStreamTokens rows). */
  readonly positions?: Embedding;

  constructor(
    readonly g: Graph,
    readonly name: string,
    readonly cfg: ModelConfig,
  ) {
    const { dim, heads, mlpRatio } = cfg.core;
    const { layers, moeEvery } = cfg.fusion;
    const isMoe = (i: number) => moeEvery > 0 && (i + 1) % moeEvery === 0;
    [this.typeEmbedding, this.blocks, this.moe, this.norm] = g.withScope(name, () => {
      const typeEmbedding = new Embedding(g, 'modality_type', { vocabSize: MODALITIES.length, dim });
      const blocks: TransformerBlock[] = [];
      const moe: (MoeLayer | null)[] = [];
      g.withScope('layers', () => {
        for (let i = 0; i < layers; i++) {
          blocks.push(new TransformerBlock(g, String(i), { dim, heads, mlpRatio, noMlp: isMoe(i) }));
          moe.push(isMoe(i) ? g.withScope(String(i), () => new MoeLayer(g, 'moe', cfg.fusion.moe)) : null);
        }
      });
      const { imageMerge, videoMerge } = cfg.fusion;
      if (imageMerge > 1) this.merges.image = new PatchMerge(g, 'merge_image', { dim, grid: cfg.image.imageSize / cfg.image.patchSize, merge: imageMerge });
      if (videoMerge > 1) this.merges.video = new PatchMerge(g, 'merge_video', { dim, grid: cfg.video.videoSize / cfg.video.videoPatch, merge: videoMerge });
      return [typeEmbedding, blocks, moe, new LayerNorm(g, 'norm', { dim })] as const;
    });
    if (cfg.fusion.positions === 'learned') this.positions = g.withScope(name, () => new Embedding(g, 'positions', { vocabSize: maxStreamTokens(cfg), dim }));
  }

  apply(streams: FusionStream[], o: FusionOptions): FusionOutput {
    const g = this.g;
    if (streams.length === 0) throw new Error(`fusion ${this.name}: no modality stream`);
    return g.withScope(this.name, () => {
      const parts = streams.map((s) => {
        const typeId = modalityIndex(s.modality);
        const merge = s.merged ? undefined : this.merges[s.modality];
        if (merge && s.mask) throw new Error(`fusion ${this.name}: ${s.modality} tokens with a padding mask cannot be merged`);
        const tokens = merge ? merge.apply(s.tokens) : s.tokens; // [B, T_m, D] (T_m / k² when merged)
        let typed = op.add(tokens, this.typeEmbedding.apply(g.scalar(typeId, 'int64'))); // [B, T_m, D]
        if (this.positions) typed = op.add(typed, this.streamPositions(tokens, s.modality)); // [B, T_m, D] + [T_m, D]
        const bt = op.slice(op.shapeOf(tokens), [0], [2]); // [2] = (B, T_m)
        const mask = s.mask ?? op.expand(g.constant({ dtype: 'bool', shape: [], data: Uint8Array.of(1) }), bt); // [B, T_m]
        const ids = op.expand(g.scalar(modalityIndex(s.countAs ?? s.modality), 'int64'), bt); // [B, T_m]
        return { typed, mask, ids };
      });
      let h = op.concat(parts.map((p) => p.typed), 1); // [B, T, D]
      const mask = op.concat(parts.map((p) => p.mask), 1); // [B, T]
      const modalityIds = op.concat(parts.map((p) => p.ids), 1); // [B, T]
      const moeOutputs: MoeOutput[] = [];
      g.withScope('layers', () => {
        this.blocks.forEach((block, i) => {
          h = block.apply(h, { keyPaddingMask: mask }); // [B, T, D]
          const moe = this.moe[i];
          if (!moe) return;
          const out = g.withScope(String(i), () =>
            moe.apply(block.ln2.apply(h), {
              training: o.training,
              modalityIds,
              numModalities: MODALITIES.length,
              tokenMask: mask,
              noiseSeed: o.noiseSeed ? op.add(o.noiseSeed, g.scalar(1000003 * (i + 1), 'int64')) : undefined,
              remoteExperts: o.remoteExperts,
            }),
          );
          h = op.add(h, out.y); // [B, T, D] dropped tokens pass through the residual
          moeOutputs.push(out);
        });
      });
      return { tokens: this.norm.apply(h), mask, modalityIds, moe: moeOutputs };
    });
  }

  /** Rows 0..T_m−1 of the position table for a stream's tokens [B, T_m, D]: [T_m, D]. */
  private streamPositions(tokens: Value, modality: Modality): Value {
    const table = this.positions!.weight;
    const t = tokens.shape[1]!;
    const rows = table.shape[0] as number;
    if (typeof t === 'number' && t > rows) {
      throw new Error(`fusion ${this.name}: ${t} ${modality} tokens exceed the ${rows} rows of fusion.positions`);
    }
    return positionRows(table, t, { value: tokens, axis: 1 }); // [T_m, D]
  }
}

/**
 * The most tokens one stream can bring into the fusion (rows of
 * `fusion.positions`): text up to maxTextLen, the merged image and video
 * grids, and the audio tokens of maxAudioSeconds (as the audio encoder counts them).
 */
export function maxStreamTokens(cfg: ModelConfig): number {
  const { image, video, audio, text, fusion } = cfg;
  const imageTokens = (image.imageSize / image.patchSize / fusion.imageMerge) ** 2;
  const videoTokens = (video.videoFrames / video.tubeletFrames) * (video.videoSize / video.videoPatch / fusion.videoMerge) ** 2;
  const audioTokens = Math.floor(melFrameCount(audioSamples(cfg), audio) / audio.framesPerToken);
  return Math.max(text.maxTextLen, imageTokens, videoTokens, audioTokens);
}
