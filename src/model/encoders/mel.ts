/**
 * The audio front-end's log-mel spectrogram: the mel filterbank and window,
 * computed in TypeScript and baked into the graph as constants, and the
 * in-graph transform (ONNX STFT → power → mel → log).
 *
 * Mel scale: HTK, mel(f) = 2595·log10(1 + f/700) (O'Shaughnessy 1987, as in
 * HTK and torchaudio's default `mel_scale='htk'`). Filters are triangles on
 * the Hz axis with peak 1 at their centre and no area normalisation, equal to
 * torchaudio.functional.melscale_fbanks(fftSize/2 + 1, fMin, fMax, melBins,
 * sampleRate, norm=None, mel_scale='htk').
 */
import { hostTensor, type HostTensor } from '../../graph/host-tensor.js';
import * as op from '../../graph/ops/index.js';
import type { Value } from '../../graph/value.js';

/** Hz → mel (HTK). */
export function hzToMel(hz: number): number {
  return 2595 * Math.log10(1 + hz / 700);
}

/** mel → Hz (HTK). */
export function melToHz(mel: number): number {
  return 700 * (10 ** (mel / 2595) - 1);
}

export interface MelOptions {
  sampleRate: number;
  /** DFT size; the filterbank has fftSize/2 + 1 frequency rows. */
  fftSize: number;
  melBins: number;
  /** Lowest filter edge in Hz (default 0). */
  fMin?: number;
  /** Highest filter edge in Hz (default sampleRate / 2). */
  fMax?: number;
}

/** The melBins + 2 filter edges in Hz, equally spaced in mel: filter m spans edges m..m+2 and peaks at m+1. */
export function melEdgesHz(o: MelOptions): number[] {
  const lo = hzToMel(o.fMin ?? 0);
  const hi = hzToMel(o.fMax ?? o.sampleRate / 2);
  return Array.from({ length: o.melBins + 2 }, (_, i) => melToHz(lo + ((hi - lo) * i) / (o.melBins + 1)));
}

/** Centre frequency in Hz of each mel filter. */
export function melCenterFrequencies(o: MelOptions): number[] {
  return melEdgesHz(o).slice(1, -1);
}

/**
 * The filterbank as a float32 [fftSize/2 + 1, melBins] matrix, so that
 * mel = power [.., bins] · W. Row k is DFT bin k at k·sampleRate/fftSize Hz.
 * Throws if a filter covers no DFT bin (too many mels for the resolution).
 */
export function melFilterbank(o: MelOptions): HostTensor<'float32'> {
  const { sampleRate, fftSize, melBins } = o;
  const fMax = o.fMax ?? sampleRate / 2;
  if (!((o.fMin ?? 0) >= 0 && (o.fMin ?? 0) < fMax && fMax <= sampleRate / 2)) {
    throw new Error(`mel filterbank: need 0 ≤ fMin < fMax ≤ sampleRate/2, got fMin ${o.fMin ?? 0}, fMax ${fMax}, sampleRate ${sampleRate}`);
  }
  const bins = Math.floor(fftSize / 2) + 1;
  const edges = melEdgesHz(o);
  const w = new Float32Array(bins * melBins);
  for (let m = 0; m < melBins; m++) {
    const [l, c, r] = [edges[m]!, edges[m + 1]!, edges[m + 2]!];
    let any = false;
    for (let k = 0; k < bins; k++) {
      const f = (k * sampleRate) / fftSize;
      const v = Math.max(0, Math.min((f - l) / (c - l), (r - f) / (r - c)));
      w[k * melBins + m] = v;
      if (v > 0) any = true;
    }
    if (!any) {
      throw new Error(
        `mel filterbank: filter ${m} (${l.toFixed(1)}–${r.toFixed(1)} Hz) covers no DFT bin; ` +
          `use fewer melBins than ${melBins} or a larger fftSize than ${fftSize}`,
      );
    }
  }
  return hostTensor('float32', [bins, melBins], w);
}

/** Periodic Hann window of length n, w[i] = 0.5 − 0.5·cos(2πi/n) (torch.hann_window's default). */
export function hannWindow(n: number): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / n));
}

/**
 * A Hann window of `frameLength` centred in `fftSize` zeros, as torch.stft
 * does when win_length < n_fft. Its length is the DFT size.
 */
export function paddedHannWindow(frameLength: number, fftSize: number): Float64Array {
  if (frameLength > fftSize) throw new Error(`frameLength ${frameLength} exceeds fftSize ${fftSize}`);
  const out = new Float64Array(fftSize);
  out.set(hannWindow(frameLength), Math.floor((fftSize - frameLength) / 2));
  return out;
}

/** What the in-graph log-mel needs (a subset of AudioEncoderConfig). */
export interface LogMelOptions extends MelOptions {
  /** Hann window length in samples (≤ fftSize, centred in it). */
  frameLength: number;
  /** Samples between frame starts. */
  hop: number;
}

/** Frames of a waveform of `samples` samples: 1 + ⌊(samples − fftSize) / hop⌋ (no padding, torch.stft center=False). */
export function melFrameCount(samples: number, o: { fftSize: number; hop: number }): number {
  return samples < o.fftSize ? 0 : Math.floor((samples - o.fftSize) / o.hop) + 1;
}

/** The floor added to mel power before the log. */
export const LOG_MEL_FLOOR = 1e-6;

/**
 * Log-mel spectrogram in the graph: waveform [B, L] → [B, frames, melBins],
 *
 *   X = STFT(x; hop, Hann(frameLength) centred in fftSize)   [B, frames, K, 2]
 *   mel = (Re² + Im²) · W_mel                                 [B, frames, M]
 *   out = log(mel + 1e-6)
 *
 * with K = fftSize/2 + 1 and W_mel from `melFilterbank`. Equals
 * log(torchaudio MelSpectrogram(center=False, power=2, norm=None,
 * mel_scale='htk') + 1e-6). Uses the ONNX STFT op (opset 17+).
 */
export function logMelSpectrogram(waveform: Value, o: LogMelOptions): Value {
  const g = waveform.graph;
  const window = g.constant(hostTensor('float32', [o.fftSize], Float32Array.from(paddedHannWindow(o.frameLength, o.fftSize)))); // [N]
  const fb = g.constant(melFilterbank(o)); // [K, M]
  const spec = op.stft(op.unsqueeze(waveform, [2]), o.hop, { window }); // [B, frames, K, 2]
  const power = op.reduceSum(op.mul(spec, spec), [3]); // [B, frames, K]
  const mel = op.matmul(power, fb); // [B, frames, M]
  return op.log(op.add(mel, LOG_MEL_FLOOR)); // [B, frames, M]
}
