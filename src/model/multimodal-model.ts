/**
 * The native multimodal MoE model: modality encoders → dynamic modality
 * router → fusion stack with sparse MoE layers → projection heads (shared
 * embedding space) and a causal text decoder over the fused tokens.
 *
 * A graph is traced for one modality signature (the set of modalities
 * present): encoders of absent modalities are not built, so they have gate
 * weight 0, contribute no tokens, and their parameters are untouched by a
 * training step on this graph.
 */
import type { Graph } from '../graph/graph.js';
import * as op from '../graph/ops/index.js';
import type { Value } from '../graph/value.js';
import type { MoeOutput, RemoteExperts } from '../moe/moe-layer.js';
import { Embedding } from '../nn/embedding.js';
import { PatchMerge } from '../nn/patch-merge.js';
import { WindowMerge } from '../nn/window-merge.js';
import type { ModelConfig } from './config.js';
import { AudioEncoder, ImageEncoder, TextEncoder, VideoEncoder, type EncodeOptions, type EncoderOutput, type EncoderResult } from './encoders/index.js';
import { averageFrames } from './encoders/video-encoder.js';
import { FusionStack, type FusionStream } from './fusion.js';
import { MEDIA_MODALITIES, MODALITIES, modalitySignature, type MediaModality, type Modality } from './modalities.js';
import { imageTokenCount, videoInputScale } from './model-inputs.js';
import { ModalityRouter, type ModalityGateStrategy } from './modality-router.js';
import { ProjectionHead } from './projection-head.js';
import { TextDecoder } from './text-decoder.js';

/** The frames of a clip of f frames that take the keyframe path: k of them, evenly from the first to the last. */
export function keyframeIndices(f: number, k: number): number[] {
  if (k === 1) return [0];
  return Array.from({ length: k }, (_, i) => Math.round((i * (f - 1)) / (k - 1)));
}

/** The inputs of one batch; each present modality's tensors. */
export interface ModelInputs {
  /** Token ids int64 [B, T] and bool mask [B, T] (true = real token). */
  text?: { ids: Value; mask: Value };
  /** RGB in [0, 1], float32 [B, 3, H, W]. */
  image?: Value;
  /** Mono waveform float32 [B, L] at the config's sample rate. */
  audio?: Value;
  /** Frames float32 [B, F, 3, H, W] (H = W = videoInputSize, see model-inputs.ts). */
  video?: Value;
  /**
   * A fixed encoder's outputs given in place of a media input, computed once
   * per media item (train/encoder-features.ts); the model is then built
   * without that encoder (ModelBuildOptions.features).
   */
  features?: Partial<Record<MediaModality, MediaFeatures>>;
}

/** What a media encoder gives the rest of the model. */
export interface MediaFeatures {
  /** [B, T_m, D] */
  tokens: Value;
  /** [B, D] */
  pooled: Value;
  /** A video's keyframe tokens [B, keyframes, N_img, D] (the image encoder on its keyframes), with the keyframe path. */
  keyframes?: Value;
}

export interface ModelBuildOptions {
  /** Media whose encoder outputs come in as ModelInputs.features: their encoders are not built. */
  features?: readonly MediaModality[];
}

/**
 * The clip the tubelet encoder sees: frames [B, F, 3, S, S] averaged down
 * by videoInputScale (imageSize → videoSize with the keyframe path; else as they are).
 */
export function framesAtVideoSize(cfg: ModelConfig, frames: Value): Value {
  return averageFrames(frames, videoInputScale(cfg)); // [B, F, 3, S / k, S / k]
}

export interface ForwardOptions {
  /** Training mode (router jitter, training capacity factor). */
  training: boolean;
  /** Modality gate strategy (default 'learned'). */
  gateStrategy?: ModalityGateStrategy;
  /** Skip the fusion stack (contrastive stage: only encoders and heads). Default false. */
  encodersOnly?: boolean;
  /** int64 [] seed of the MoE jitter noise in training (see nn/hash-noise.ts). */
  noiseSeed?: Value;
  /** Expert parallelism: the MoE layers' experts computed elsewhere (see MoeApplyOptions.remoteExperts). */
  remoteExperts?: RemoteExperts;
}

export interface ModelOutputs {
  /** Present modalities in canonical order. */
  signature: Modality[];
  encoders: Partial<Record<Modality, EncoderOutput>>;
  /** Unit-norm embeddings [B, embedDim] per present modality (two-tower retrieval, InfoNCE). */
  embeddings: Partial<Record<Modality, Value>>;
  /** Modality gate weights [B, 4] in MODALITIES order, 0 for absent modalities. */
  gateWeights?: Value;
  /** Fused tokens [B, T, D] and their mask [B, T]. */
  fused?: { tokens: Value; mask: Value; modalityIds: Value };
  /** MoE layers' outputs in depth order. */
  moe: MoeOutput[];
  /** Σ over MoE layers of load-balancing + z-loss [] (0 without MoE layers). */
  auxLoss: Value;
}

export class MultimodalModel {
  readonly text?: TextEncoder;
  readonly image?: ImageEncoder;
  readonly audio?: AudioEncoder;
  readonly video?: VideoEncoder;
  readonly heads: Partial<Record<Modality, ProjectionHead>> = {};
  /** Router, fusion and decoder are built on first use, so a graph that does not use them has none of their parameters. */
  private routerModule?: ModalityRouter;
  private fusionModule?: FusionStack;
  private decoderModule?: TextDecoder;
  private keyframeEncoderModule?: ImageEncoder;
  private keyframeTimeModule?: Embedding;
  private keyframeMotionModule?: PatchMerge | WindowMerge;

  /** Creates the modules for the modalities in `present` (parameters named from the graph's root). */
  constructor(
    readonly g: Graph,
    readonly cfg: ModelConfig,
    present: Iterable<Modality>,
    o: ModelBuildOptions = {},
  ) {
    const sig = modalitySignature(present);
    if (sig.length === 0) throw new Error('a model graph needs at least one modality');
    const encoded = (m: Modality) => sig.includes(m) && !(o.features as readonly Modality[] | undefined)?.includes(m);
    g.withScope('encoders', () => {
      if (encoded('text')) (this as { text?: TextEncoder }).text = new TextEncoder(g, 'text', cfg.text);
      if (encoded('image')) (this as { image?: ImageEncoder }).image = new ImageEncoder(g, 'image', cfg.image);
      if (encoded('audio')) (this as { audio?: AudioEncoder }).audio = new AudioEncoder(g, 'audio', cfg.audio);
      if (encoded('video')) (this as { video?: VideoEncoder }).video = new VideoEncoder(g, 'video', cfg.video);
    });
    g.withScope('heads', () => {
      for (const m of sig) this.heads[m] = new ProjectionHead(g, m, cfg.core.dim, cfg.core.embedDim);
    });
  }

  /** The dynamic modality router (parameters `modality_router.*`). */
  get router(): ModalityRouter {
    this.routerModule ??= new ModalityRouter(this.g, 'modality_router', this.cfg.core.dim);
    return this.routerModule;
  }

  /** The fusion stack (parameters `fusion.*`). */
  get fusion(): FusionStack {
    this.fusionModule ??= new FusionStack(this.g, 'fusion', this.cfg);
    return this.fusionModule;
  }

  /** The causal text decoder (parameters `decoder.*`), created on first use. */
  get decoder(): TextDecoder {
    this.decoderModule ??= new TextDecoder(this.g, 'decoder', {
      vocabSize: this.cfg.core.vocabSize,
      dim: this.cfg.core.dim,
      heads: this.cfg.core.heads,
      mlpRatio: this.cfg.core.mlpRatio,
      layers: this.cfg.decoder.layers,
      maxLen: this.cfg.decoder.maxLen,
    });
    return this.decoderModule;
  }

  /**
   * The image encoder the video's keyframe goes through: the graph's image
   * encoder, or one with its parameter names (`encoders.image.*`) built on
   * first use, so graphs that never fuse a video have none of its parameters.
   */
  get keyframeEncoder(): ImageEncoder {
    if (this.image) return this.image;
    this.keyframeEncoderModule ??= this.g.withScope('encoders', () => new ImageEncoder(this.g, 'image', this.cfg.image));
    return this.keyframeEncoderModule;
  }

  /** With several keyframes, the embedding of each one's place in time (parameters `fusion.keyframe_time.*`, trained with the fusion). */
  get keyframeTime(): Embedding {
    this.keyframeTimeModule ??= this.g.withScope('fusion', () => new Embedding(this.g, 'keyframe_time', { vocabSize: this.cfg.video.keyframes, dim: this.cfg.core.dim }));
    return this.keyframeTimeModule;
  }

  /**
   * With `video.keyframeMotion`, the merger of keyframe token differences (parameters `fusion.keyframe_motion.*`, no
   * norm: a place with no change stays ≈ 0): k×k blocks as the image tokens are merged ('difference'), or overlapping
   * windows of side 2k at stride k ('difference-windows'), k = fusion.imageMerge.
   */
  get keyframeMotion(): PatchMerge | WindowMerge {
    const grid = this.cfg.image.imageSize / this.cfg.image.patchSize;
    const { dim } = this.cfg.core;
    const k = this.cfg.fusion.imageMerge;
    this.keyframeMotionModule ??= this.g.withScope('fusion', () =>
      this.cfg.video.keyframeMotion === 'difference-windows'
        ? new WindowMerge(this.g, 'keyframe_motion', { dim, inDim: this.cfg.video.motionContext ? 2 * dim : dim, grid, window: Math.min(grid, 2 * k), stride: k })
        : new PatchMerge(this.g, 'keyframe_motion', { dim, grid, merge: k, normalize: false }),
    );
    return this.keyframeMotionModule;
  }

  forward(inputs: ModelInputs, o: ForwardOptions): ModelOutputs {
    const { present, encoders, embeddings } = this.encodeAndProject(inputs);
    const zero = this.g.scalar(0);
    if (o.encodersOnly) return { signature: present, encoders, embeddings, moe: [], auxLoss: zero };

    const gate = this.router.apply(encoders, o.gateStrategy ?? 'learned');
    const streams: FusionStream[] = present.map((m) => ({ modality: m, tokens: gate.scaled[m]!, mask: encoders[m]!.mask }));
    // Keyframes enter as image tokens (image type embedding and merge), weighted by the video's gate, just before the
    // video's tokens; the routing statistics count them as the video's (the input they came from).
    // With keyframe motion, the change between consecutive keyframes follows them as video tokens, merged already.
    const videoKeyframes = inputs.features?.video?.keyframes ?? (inputs.video && this.cfg.video.keyframe === 'image' ? this.encodeKeyframes(inputs.video) : undefined); // [B, k, N_img, D]
    if (videoKeyframes) {
      const factor = gate.factors.video!; // [B, 1, 1]
      const k = this.cfg.video.keyframes;
      const frames = op.split(videoKeyframes, new Array<number>(k).fill(1), 1).map((t) => op.squeeze(t, [1])); // k × [B, N_img, D]
      const keyframes = frames.map((tokens, i): FusionStream => ({ modality: 'image', countAs: 'video', tokens: op.mul(this.withKeyframeTime(tokens, i), factor) })); // [B, N_img, D] each
      const motion = this.cfg.video.keyframeMotion !== 'none' ? frames.slice(1).map((later, i): FusionStream => ({ modality: 'video', merged: true, tokens: op.mul(this.keyframeMotion.apply(this.motionInput(frames[i]!, later)), factor) })) : []; // [B, N_motion, D] each
      streams.splice(present.indexOf('video'), 0, ...keyframes, ...motion);
    }
    const fused = this.fusion.apply(streams, { training: o.training, noiseSeed: o.noiseSeed, remoteExperts: o.remoteExperts });
    const auxLoss = fused.moe.reduce<Value>((s, m) => op.add(s, op.add(m.loadBalanceLoss, m.zLoss)), zero); // []
    return {
      signature: present,
      encoders,
      embeddings,
      gateWeights: gate.weights,
      fused: { tokens: fused.tokens, mask: fused.mask, modalityIds: fused.modalityIds },
      moe: fused.moe,
      auxLoss,
    };
  }

  /**
   * The embeddings alone (the embed graph): each encoder computes only its
   * pooled vector (EncodeOptions.pooledOnly), then its head. The same values
   * as forward's embeddings, without the tokens.
   */
  embed(inputs: ModelInputs): Pick<ModelOutputs, 'signature' | 'embeddings'> {
    const { present, embeddings } = this.encodeAndProject(inputs, { pooledOnly: true });
    return { signature: present, embeddings };
  }

  /**
   * The image encoder on the keyframes of frames [B, F, 3, S, S] (S = imageSize; video.keyframes of them, see
   * keyframeIndices): their tokens [B, k, N_img, D] in time order.
   */
  encodeKeyframes(frames: Value): Value {
    const f = frames.shape[1] as number;
    const k = this.cfg.video.keyframes;
    const s = this.cfg.image.imageSize;
    const picked = k === 1 && f === 1 ? frames : op.gather(frames, this.g.constant({ dtype: 'int64', shape: [k], data: BigInt64Array.from(keyframeIndices(f, k), BigInt) }), 1); // [B, k, 3, S, S]
    const tokens = this.keyframeEncoder.apply(op.reshape(picked, [-1, 3, s, s])).tokens; // [B·k, N_img, D]
    return op.reshape(tokens, [-1, k, imageTokenCount(this.cfg), this.cfg.core.dim]); // [B, k, N_img, D]
  }

  /** What the motion merger reads of two consecutive keyframes' tokens [B, N_img, D]: their change, and with motionContext the earlier beside it [B, N_img, 2D]. */
  private motionInput(earlier: Value, later: Value): Value {
    const change = op.sub(later, earlier); // [B, N_img, D]
    return this.cfg.video.motionContext ? op.concat([change, earlier], 2) : change; // [B, N_img, 2D] or [B, N_img, D]
  }

  /** Keyframe i's tokens [B, N_img, D] plus its keyframe-time embedding when there are several keyframes. */
  private withKeyframeTime(tokens: Value, i: number): Value {
    return this.cfg.video.keyframes === 1 ? tokens : op.add(tokens, this.keyframeTime.apply(this.g.scalar(i, 'int64'))); // [B, N_img, D] + [D]
  }

  /** Runs the encoders of the present inputs and the heads on their pooled vectors. */
  private encodeAndProject<P extends boolean = false>(inputs: ModelInputs, o: EncodeOptions<P> = {}) {
    const given = inputs.features ?? {};
    const present = modalitySignature(MODALITIES.filter((m) => (m !== 'text' && given[m]) || inputs[m]));
    for (const m of present) {
      const features = m === 'text' ? undefined : given[m];
      if (features && inputs[m]) throw new Error(`${m}: give either the media input or its encoder features, not both`);
      if (!features && !this[m]) throw new Error(`the model graph was built without a ${m} encoder`);
    }
    const encoders: Partial<Record<Modality, EncoderResult<P>>> = {};
    for (const m of MEDIA_MODALITIES) if (given[m]) encoders[m] = { tokens: given[m]!.tokens, pooled: given[m]!.pooled } as EncoderResult<P>;
    if (inputs.text) encoders.text = this.text!.apply(inputs.text.ids, inputs.text.mask, o);
    if (inputs.image) encoders.image = this.image!.apply(inputs.image, o);
    if (inputs.audio) encoders.audio = this.audio!.apply(inputs.audio, o);
    if (inputs.video) encoders.video = this.video!.apply(framesAtVideoSize(this.cfg, inputs.video), o);
    const embeddings: Partial<Record<Modality, Value>> = {};
    this.g.withScope('heads', () => {
      for (const m of present) embeddings[m] = this.heads[m]!.apply(encoders[m]!.pooled); // [B, E]
    });
    return { present, encoders, embeddings };
  }
}
