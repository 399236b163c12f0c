/**
 * Audio encoder (AST / Whisper-style front-end): log-mel spectrogram in the
 * graph, F consecutive frames grouped into one "time patch" token, a linear
 * projection, learned time positions, then the transformer stack; pooled =
 * mean over tokens.
 */
import type { Graph } from '../../graph/graph.js';
import * as op from '../../graph/ops/index.js';
import { formatShape } from '../../graph/shape.js';
import type { Value } from '../../graph/value.js';
import { Embedding } from '../../nn/embedding.js';
import { Linear } from '../../nn/linear.js';
import { validateAudioEncoderConfig, type AudioEncoderConfig, type AudioEncoderOptions } from './config.js';
import { checkInput, EncoderStack, positionRows, staticDim, type EncodeOptions, type EncoderResult } from './encoder-common.js';
import { logMelSpectrogram, melFrameCount } from './mel.js';

/**
 * Parameters `<path>.patch.{weight [F·melBins, D], bias}`,
 * `<path>.positions.weight` [maxTokens, D], and the stack's.
 */
export class AudioEncoder {
  readonly cfg: AudioEncoderOptions;
  readonly path: string;
  /** Longest waveform accepted: ⌊maxAudioSeconds · sampleRate⌋ samples. */
  readonly maxSamples: number;
  /** Tokens of a maxSamples waveform (rows of the position table). */
  readonly maxTokens: number;
  readonly patch: Linear;
  readonly positions: Embedding;
  readonly stack: EncoderStack;

  constructor(
    readonly g: Graph,
    readonly name: string,
    cfg: AudioEncoderConfig,
  ) {
    this.path = g.scope ? `${g.scope}.${name}` : name;
    this.cfg = validateAudioEncoderConfig(cfg, `AudioEncoder config at ${this.path}`);
    const { dim, melBins, framesPerToken, maxAudioSeconds, sampleRate } = this.cfg;
    this.maxSamples = Math.floor(maxAudioSeconds * sampleRate);
    this.maxTokens = this.tokenCount(this.maxSamples);
    [this.patch, this.positions, this.stack] = g.withScope(name, () => [
      new Linear(g, 'patch', { inFeatures: framesPerToken * melBins, outFeatures: dim }),
      new Embedding(g, 'positions', { vocabSize: this.maxTokens, dim }),
      new EncoderStack(g, this.cfg),
    ]);
  }

  /** Log-mel frames of a waveform of `samples` samples: 1 + ⌊(samples − fftSize) / hop⌋. */
  frameCount(samples: number): number {
    return melFrameCount(samples, this.cfg);
  }

  /** Tokens of a waveform of `samples` samples: ⌊frames / framesPerToken⌋ (trailing frames are dropped). */
  tokenCount(samples: number): number {
    return Math.floor(this.frameCount(samples) / this.cfg.framesPerToken);
  }

  /** waveform [B, L] → log-mel [B, frames, melBins] (see mel.ts). */
  logMel(waveform: Value): Value {
    return this.g.withScope(this.name, () => logMelSpectrogram(waveform, { ...this.cfg })); // [B, frames, M]
  }

  /**
   * Mono waveform float32 [B, L] at sampleRate → tokens [B, T, D] with
   * T = tokenCount(L), pooled [B, D]. Token i reads frames
   * [i·F, (i+1)·F), features ordered (frame, mel). L must be static,
   * ≤ maxSamples, and long enough for one token. `o.pooledOnly`: see
   * EncoderStack.applyPooled.
   */
  apply<P extends boolean = false>(waveform: Value, o: EncodeOptions<P> = {}): EncoderResult<P> {
    const what = `AudioEncoder ${this.path}: input waveform`;
    checkInput(waveform, what, ['float32'], ['batch', 'samples']);
    const samples = staticDim(waveform, 1, what, 'samples');
    const { framesPerToken: f, melBins: m } = this.cfg;
    if (samples > this.maxSamples) {
      throw new Error(`${what} ${formatShape(waveform.shape)}: ${samples} samples exceed maxAudioSeconds (${this.maxSamples} samples)`);
    }
    const t = this.tokenCount(samples);
    if (t < 1) {
      throw new Error(
        `${what} ${formatShape(waveform.shape)}: ${samples} samples give ${this.frameCount(samples)} frames, fewer than framesPerToken ${f}`,
      );
    }
    return this.g.withScope(this.name, () => {
      const mel = logMelSpectrogram(waveform, { ...this.cfg }); // [B, frames, M]
      const used = t * f === mel.shape[1] ? mel : op.slice(mel, [0], [t * f], [1]); // [B, T·F, M]
      const patches = op.reshape(used, [0, t, f * m]); // [B, T, F·M]
      const pos = positionRows(this.positions.weight, t); // [T, D]
      return this.stack.applyPooled(op.add(this.patch.apply(patches), pos), undefined, o); // [B, T, D], [B, D]
    });
  }
}
