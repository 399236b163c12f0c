/**
 * Typed, validated configs of the four modality encoders. Each has the
 * transformer stack fields (dim, layers, heads, mlpRatio) plus its front-end
 * fields. `validate*Config` checks types and ranges (unknown keys are errors)
 * and the cross-field rules, naming the encoder in every message.
 */
import { validateConfig, type ConfigOf, type ConfigSchema } from '../../nn/config.js';
import { melFilterbank, melFrameCount } from './mel.js';

/** Per-channel RGB statistics an image is normalised with, inside the graph. */
export type PixelNormalization = 'imagenet' | 'clip' | 'none';

/** Mean and std per channel (R, G, B) of each PixelNormalization. */
export const PIXEL_STATS: Record<PixelNormalization, { mean: [number, number, number]; std: [number, number, number] }> = {
  /** torchvision's ImageNet statistics. */
  imagenet: { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
  /** OpenAI CLIP's training statistics (open_clip OPENAI_DATASET_MEAN/STD). */
  clip: { mean: [0.48145466, 0.4578275, 0.40821073], std: [0.26862954, 0.26130258, 0.27577711] },
  none: { mean: [0, 0, 0], std: [1, 1, 1] },
};

/**
 * How pixels become tokens: 'patch' — a linear projection of each P×P patch
 * (t×P×P tubelet), as ViT/ViViT; 'conv' — log2(P) stride-2 3×3 convolutions
 * (nn/conv-stem.ts; a tubelet's frames stacked as channels). On the
 * synthetic world the conv stem learned shapes far faster from images
 * (scripts/probe-image-stem.ts, BENCHMARKS.md) but aligned 32×32 video
 * worse in stage 2, so mm-small uses it for images only.
 */
export type PixelStem = 'patch' | 'conv';

/** The `stem` field of the image and video encoder schemas. */
const STEM_FIELD = { type: 'enum', values: ['patch', 'conv'], default: 'patch' } as const;

/** The `normalization` field of the image and video encoder schemas. */
const NORMALIZATION_FIELD = { type: 'enum', values: ['imagenet', 'clip', 'none'], default: 'imagenet' } as const;

/** Fields every encoder shares: width and the transformer layers on top of the front-end. */
export interface EncoderStackConfig {
  /** Token width D of the encoder's output. */
  dim: number;
  /** Transformer blocks after the front-end (0 = front-end only). */
  layers: number;
  /** Attention heads per block; must divide dim when layers > 0. */
  heads: number;
  /** MLP hidden size as a multiple of dim (default 4). */
  mlpRatio?: number;
  /** Pooled vector: 'mean' of the output tokens (default) or a learned 'cls' token's output. */
  pooling?: 'mean' | 'cls';
}

const STACK_SCHEMA = {
  dim: { type: 'integer', min: 1 },
  layers: { type: 'integer', min: 0 },
  heads: { type: 'integer', min: 1 },
  mlpRatio: { type: 'number', min: 0, default: 4 },
  pooling: { type: 'enum', values: ['mean', 'cls'], default: 'mean' },
} as const satisfies ConfigSchema<EncoderStackConfig>;

export interface TextEncoderConfig extends EncoderStackConfig {
  /** Number of token ids; ids must lie in [0, vocabSize). */
  vocabSize: number;
  /** Rows of the learned position table: the longest text the encoder reads. */
  maxTextLen: number;
}

export const TEXT_ENCODER_SCHEMA = {
  ...STACK_SCHEMA,
  vocabSize: { type: 'integer', min: 1 },
  maxTextLen: { type: 'integer', min: 1 },
} as const satisfies ConfigSchema<TextEncoderConfig>;

export interface ImageEncoderConfig extends EncoderStackConfig {
  /** Largest image side in pixels; the row and column tables have imageSize / patchSize rows. */
  imageSize: number;
  /** Side P of the square non-overlapping patches; must divide imageSize. */
  patchSize: number;
  /** Per-channel statistics the [0, 1] pixels are normalised with (default 'imagenet'). */
  normalization?: PixelNormalization;
  /** Pixels → tokens (default 'patch'); 'conv' needs patchSize a power of two. */
  stem?: PixelStem;
  /** Channels of the conv stem's last convolution (default dim/2; see nn/conv-stem.ts). */
  stemWidth?: number;
}

export const IMAGE_ENCODER_SCHEMA = {
  ...STACK_SCHEMA,
  imageSize: { type: 'integer', min: 1 },
  patchSize: { type: 'integer', min: 1 },
  normalization: NORMALIZATION_FIELD,
  stem: STEM_FIELD,
  stemWidth: { type: 'integer', min: 1, optional: true },
} as const satisfies ConfigSchema<ImageEncoderConfig>;

export interface AudioEncoderConfig extends EncoderStackConfig {
  /** Sample rate of the mono waveform in Hz. */
  sampleRate: number;
  /** Samples per analysis window (a Hann window of this length); ≤ fftSize. */
  frameLength: number;
  /** Samples between the starts of consecutive frames. */
  hop: number;
  /** DFT size; the spectrum has fftSize/2 + 1 bins. A power of two is much faster in ONNX Runtime. */
  fftSize: number;
  /** Mel filters (HTK scale) per frame. */
  melBins: number;
  /** Consecutive log-mel frames grouped into one token (a "time patch"). */
  framesPerToken: number;
  /** Longest clip in seconds; sets the size of the learned time-position table. */
  maxAudioSeconds: number;
  /** Lowest mel filter edge in Hz (default 0). */
  fMin?: number;
  /** Highest mel filter edge in Hz (default sampleRate / 2). */
  fMax?: number;
}

export const AUDIO_ENCODER_SCHEMA = {
  ...STACK_SCHEMA,
  sampleRate: { type: 'integer', min: 1 },
  frameLength: { type: 'integer', min: 2 },
  hop: { type: 'integer', min: 1 },
  fftSize: { type: 'integer', min: 2 },
  melBins: { type: 'integer', min: 1 },
  framesPerToken: { type: 'integer', min: 1 },
  maxAudioSeconds: { type: 'number', min: 0 },
  fMin: { type: 'number', min: 0, default: 0 },
  fMax: { type: 'number', min: 0, optional: true },
} as const satisfies ConfigSchema<AudioEncoderConfig>;

export interface VideoEncoderConfig extends EncoderStackConfig {
  /** Most frames per clip; the time table has videoFrames / tubeletFrames rows. */
  videoFrames: number;
  /** Frames t per tubelet; must divide videoFrames. */
  tubeletFrames: number;
  /** Largest frame side in pixels; the row and column tables have videoSize / videoPatch rows. */
  videoSize: number;
  /** Side P of a tubelet's square patch; must divide videoSize. */
  videoPatch: number;
  /** Per-channel statistics the [0, 1] pixels are normalised with (default 'imagenet'). */
  normalization?: PixelNormalization;
  /** Pixels → tokens (default 'patch'); 'conv' needs videoPatch a power of two. */
  stem?: PixelStem;
  /** Channels of the conv stem's last convolution (default dim/2; see nn/conv-stem.ts). */
  stemWidth?: number;
  /**
   * Appearance beside motion (default 'none'): 'conv' adds to each tubelet
   * token a conv stem's token of the tubelet's first frame at the same
   * place (`<path>.appearance.*`, width stemWidth), so a token carries what
   * is there (the conv stem sees shapes, see VideoAppearance) as well as how
   * it moves (the tubelet projection sees motion). Needs videoPatch a power of two.
   */
  appearance?: VideoAppearance;
  /**
   * What else a clip brings to the fusion (default 'none'): 'image' runs the
   * model's image encoder (the same parameters, `encoders.image.*`) on the
   * clip's first frame and passes its tokens to the fusion as image tokens,
   * beside the tubelet tokens (see VideoKeyframe); routing statistics count
   * them under video, the input they came from. The clip then comes in at
   * the image encoder's imageSize, and the tubelets see it averaged down to
   * videoSize.
   */
  keyframe?: VideoKeyframe;
  /**
   * How many frames take the keyframe path (default 1, the first frame; needs
   * keyframe 'image'). k > 1 spreads them evenly from the first frame to the
   * last (frame round(i·(F−1)/(k−1))), each adding its tokens to the fusion
   * with a learned keyframe-time embedding (`fusion.keyframe_time`), so the
   * fusion can compare where things are at the start and at the end.
   */
  keyframes?: number;
  /**
   * Motion between keyframes (default 'none'; needs keyframes ≥ 2):
   * 'difference' adds, for each pair of consecutive keyframes, the
   * difference of their image-encoder tokens at each grid place (later −
   * earlier), merged like image tokens by a projection without a norm
   * (`fusion.keyframe_motion.proj`, trained with the fusion) and typed as
   * video. Where nothing moved the difference is ≈ 0; where an object left
   * or arrived it carries that object's features with a sign, so "does the
   * red circle move?" and its direction are read at one place instead of by
   * matching two tokens across the keyframes (see KeyframeMotion).
   * 'difference-windows' merges the differences in overlapping windows of
   * side 2k at stride k instead (k = fusion.imageMerge; nn/window-merge.ts,
   * `fusion.keyframe_motion.{proj, places}`), so an object's departure and
   * arrival fall inside one window even where a k×k block boundary parts them.
   */
  keyframeMotion?: KeyframeMotion;
  /**
   * With 'difference-windows': each window also reads the earlier keyframe's
   * tokens beside their change (the merger takes [later − earlier, earlier]
   * at every place, 2D wide), so a motion token says what moved as well as
   * how, without matching it to the keyframe's tokens (default false).
   */
  motionContext?: boolean;
}

/**
 * The video's keyframe path. The tubelet encoder, trained by masked
 * reconstruction and text ↔ video contrast, learns colour, size and motion
 * but not shape: the video captions can be told apart without it (a probe
 * of its tokens reads shape at chance, 0.37, where the image encoder's
 * tokens read 0.80; BENCHMARKS.md). 'image' gives the fusion the first
 * frame through the image encoder, which text ↔ image contrast and the image
 * questions do teach shape — the keyframe + motion split of two-stream video
 * models (Simonyan & Zisserman 2014; Feichtenhofer et al. 2019, SlowFast).
 */
export type VideoKeyframe = 'none' | 'image';

/**
 * Motion tokens from the keyframes. Two keyframes give the fusion where each
 * object is at the start and at the end, but comparing the two needs
 * attention to pair tokens of one place across frames, which instruction
 * tuning on the synthetic world did not learn ("does X move?" stayed at
 * chance, BENCHMARKS.md). 'difference' hands it the per-place change of the
 * keyframes' features, the feature-space analogue of the RGB-difference
 * input of temporal segment networks (Wang et al. 2016, §3.2).
 */
export type KeyframeMotion = 'none' | 'difference' | 'difference-windows';

/**
 * The video encoder's appearance path. On the synthetic world a conv stem
 * on tubelets learned shapes far better than a patch projection (probe
 * 0.888 vs 0.756 at 32×32) but lost motion in instruction tuning;
 * 'conv' keeps the patch projection for motion and adds a conv stem of each
 * tubelet's first frame for appearance (probe: shapes 0.827, motion as
 * before; scripts/probe-video-encoder.ts). In the demo recipe it did not
 * lift video QA ("which object moves …?" 11.3% against 8.7%) and made video
 * contrastive steps 1.4× slower, so mm-small does not use it (BENCHMARKS.md).
 */
export type VideoAppearance = 'none' | 'conv';

export const VIDEO_ENCODER_SCHEMA = {
  ...STACK_SCHEMA,
  videoFrames: { type: 'integer', min: 1 },
  tubeletFrames: { type: 'integer', min: 1 },
  videoSize: { type: 'integer', min: 1 },
  videoPatch: { type: 'integer', min: 1 },
  normalization: NORMALIZATION_FIELD,
  stem: STEM_FIELD,
  stemWidth: { type: 'integer', min: 1, optional: true },
  appearance: { type: 'enum', values: ['none', 'conv'], default: 'none' },
  keyframe: { type: 'enum', values: ['none', 'image'], default: 'none' },
  keyframes: { type: 'integer', min: 1, default: 1 },
  keyframeMotion: { type: 'enum', values: ['none', 'difference', 'difference-windows'], default: 'none' },
  motionContext: { type: 'boolean', default: false },
} as const satisfies ConfigSchema<VideoEncoderConfig>;

export type TextEncoderOptions = ConfigOf<typeof TEXT_ENCODER_SCHEMA>;
export type ImageEncoderOptions = ConfigOf<typeof IMAGE_ENCODER_SCHEMA>;
export type AudioEncoderOptions = ConfigOf<typeof AUDIO_ENCODER_SCHEMA>;
export type VideoEncoderOptions = ConfigOf<typeof VIDEO_ENCODER_SCHEMA>;

function checkStack(c: ConfigOf<typeof STACK_SCHEMA>, what: string): void {
  if (c.layers > 0 && c.dim % c.heads !== 0) throw new Error(`${what}: heads ${c.heads} must divide dim ${c.dim}`);
  if (c.layers > 0 && Math.round(c.dim * c.mlpRatio) < 1) throw new Error(`${what}: mlpRatio ${c.mlpRatio} gives an empty MLP`);
}

/** A conv stem (the `field` 'conv') needs a power-of-two patch. */
function checkStem(stem: PixelStem, patch: number, patchName: string, what: string, field = 'stem'): void {
  if (stem === 'conv' && (patch < 2 || !Number.isInteger(Math.log2(patch)))) {
    throw new Error(`${what}: ${field} 'conv' needs ${patchName} a power of two ≥ 2, got ${patch}`);
  }
}

function divides(a: number, b: number, aName: string, bName: string, what: string): void {
  if (b % a !== 0) throw new Error(`${what}: ${aName} ${a} must divide ${bName} ${b}`);
}

/** `what` names the config in errors, e.g. `TextEncoder config at text`. */
export function validateTextEncoderConfig(raw: unknown, what = 'TextEncoder config'): TextEncoderOptions {
  const c = validateConfig(raw, TEXT_ENCODER_SCHEMA, what);
  checkStack(c, what);
  return c;
}

export function validateImageEncoderConfig(raw: unknown, what = 'ImageEncoder config'): ImageEncoderOptions {
  const c = validateConfig(raw, IMAGE_ENCODER_SCHEMA, what);
  checkStack(c, what);
  divides(c.patchSize, c.imageSize, 'patchSize', 'imageSize', what);
  checkStem(c.stem, c.patchSize, 'patchSize', what);
  return c;
}

export function validateAudioEncoderConfig(raw: unknown, what = 'AudioEncoder config'): AudioEncoderOptions {
  const c = validateConfig(raw, AUDIO_ENCODER_SCHEMA, what);
  checkStack(c, what);
  if (c.frameLength > c.fftSize) throw new Error(`${what}: frameLength ${c.frameLength} must be ≤ fftSize ${c.fftSize}`);
  const fMax = c.fMax ?? c.sampleRate / 2;
  if (fMax > c.sampleRate / 2 || c.fMin >= fMax) {
    throw new Error(`${what}: need fMin < fMax ≤ sampleRate/2, got fMin ${c.fMin}, fMax ${fMax}, sampleRate ${c.sampleRate}`);
  }
  try {
    melFilterbank(c); // every mel filter must cover a DFT bin
  } catch (e) {
    throw new Error(`${what}: ${(e as Error).message}`);
  }
  const samples = Math.floor(c.maxAudioSeconds * c.sampleRate);
  const frames = melFrameCount(samples, c);
  if (frames < c.framesPerToken) {
    throw new Error(
      `${what}: maxAudioSeconds ${c.maxAudioSeconds} (${samples} samples) gives ${frames} frames, fewer than framesPerToken ${c.framesPerToken}`,
    );
  }
  return c;
}

export function validateVideoEncoderConfig(raw: unknown, what = 'VideoEncoder config'): VideoEncoderOptions {
  const c = validateConfig(raw, VIDEO_ENCODER_SCHEMA, what);
  checkStack(c, what);
  divides(c.tubeletFrames, c.videoFrames, 'tubeletFrames', 'videoFrames', what);
  divides(c.videoPatch, c.videoSize, 'videoPatch', 'videoSize', what);
  checkStem(c.stem, c.videoPatch, 'videoPatch', what);
  checkStem(c.appearance === 'conv' ? 'conv' : 'patch', c.videoPatch, 'videoPatch', what, 'appearance');
  return c;
}
