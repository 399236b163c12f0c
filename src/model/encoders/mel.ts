/**
 * The audio front-end's log-mel spectrogram: the mel filterbank, window and
 * windowed DFT basis, computed in TypeScript and baked into the graph as
 * constants, and the in-graph transform (frames → DFT as a MatMul → power →
 * mel → log).
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
 * The windowed one-sided real DFT as a float32 [N, 2K] matrix (N = window
 * length, K = N/2 + 1), so that [Re | Im] = frame [.., N] · basis: column k is
 * cos(2πkn/N)·w[n] and column K + k is −sin(2πkn/N)·w[n], i.e.
 * X[k] = Σ_n w[n]·x[n]·e^(−2πi·kn/N) as the ONNX STFT defines it. Computed in
 * float64 (angles reduced mod N), stored as float32.
 */
export function windowedDftBasis(window: Float64Array): HostTensor<'float32'> {
  const n = window.length;
  const k = Math.floor(n / 2) + 1;
  const b = new Float32Array(n * 2 * k);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < k; j++) {
      const a = (2 * Math.PI * ((i * j) % n)) / n;
      b[i * 2 * k + j] = Math.cos(a) * window[i]!;
      b[i * 2 * k + k + j] = -Math.sin(a) * window[i]!;
    }
  }
  return hostTensor('float32', [n, 2 * k], b);
}

/**
 * Overlapping frames of a waveform [B, L] (L static) → [B, F, N] with frame f
 * = samples [f·hop, f·hop + N) and F = melFrameCount(L) (no padding; trailing
 * samples that fill no whole frame are dropped).
 *
 * When hop divides N (r = N/hop), by shape ops only: the first C = ⌊L/hop⌋
 * chunks of hop samples [B, C, hop], and frame f = chunks f..f+r−1, i.e. the
 * concat along the last axis of r slices chunks[:, j : j+F] (F = C − r + 1,
 * which equals 1 + ⌊(L − N)/hop⌋). Otherwise chunks of s = gcd(N, hop)
 * samples [B, ⌊L/s⌋, s] and a Gather of N/s of them per frame with a
 * constant [F, N/s] index table f·hop/s + j (copying runs of s samples is
 * what makes it fast: a Gather of single samples, s = 1, is no faster than the
 * STFT op for fftSize 512, hop 160).
 */
export function frameSignal(waveform: Value, n: number, hop: number): Value {
  const len = waveform.shape[1];
  if (waveform.rank !== 2 || typeof len !== 'number') {
    throw new Error(`frameSignal: waveform must be [batch, samples] with static samples, got [${waveform.shape.join(', ')}]`);
  }
  const frames = melFrameCount(len, { fftSize: n, hop });
  if (frames < 1) throw new Error(`frameSignal: ${len} samples are fewer than one frame (${n})`);
  if (n % hop === 0) {
    const r = n / hop;
    const c = frames + r - 1; // = ⌊L/hop⌋
    const used = c * hop === len ? waveform : op.slice(waveform, [0], [c * hop], [1]); // [B, C·hop]
    const chunks = op.reshape(used, [0, c, hop]); // [B, C, hop]
    if (r === 1) return chunks; // [B, F, N]
    const parts = Array.from({ length: r }, (_, j) => op.slice(chunks, [j], [j + frames], [1])); // r × [B, F, hop]
    return op.concat(parts, 2); // [B, F, N]
  }
  const s = gcd(n, hop); // chunk size: frames start and end on chunk boundaries
  const c = Math.floor(len / s);
  const chunks = op.reshape(c * s === len ? waveform : op.slice(waveform, [0], [c * s], [1]), [0, c, s]); // [B, C, s]
  const q = n / s;
  const idx = BigInt64Array.from({ length: frames * q }, (_, i) => BigInt(Math.floor(i / q) * (hop / s) + (i % q)));
  const picked = op.gather(chunks, waveform.graph.constant(hostTensor('int64', [frames, q], idx)), 1); // [B, F, N/s, s]
  return op.reshape(picked, [0, frames, n]); // [B, F, N]
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/**
 * Log-mel spectrogram in the graph: waveform [B, L] → [B, frames, melBins],
 *
 *   frames = frameSignal(x; fftSize, hop)                    [B, F, N]
 *   [Re | Im] = frames · D                                   [B, F, 2K]
 *   mel = [Re² | Im²] · [W_mel; W_mel] = (Re² + Im²) · W_mel [B, F, M]
 *   out = log(mel + 1e-6)
 *
 * with N = fftSize, K = N/2 + 1, D = windowedDftBasis(Hann(frameLength)
 * centred in N) [N, 2K] and W_mel from `melFilterbank` [K, M]. Equals
 * log(torchaudio MelSpectrogram(center=False, power=2, norm=None,
 * mel_scale='htk') + 1e-6), and `logMelSpectrogramStft` to float32 rounding.
 *
 * Why not the ONNX STFT op: ONNX Runtime's STFT kernel is slow — in an
 * mm-small training step (128 clips of 2 s at 8 kHz, N 256, hop 128) it took
 * 71.6 ms, 10.8% of the step. Framing by shape ops plus one GEMM with the
 * DFT basis does the same arithmetic on ORT's fast MatMul. A waveform whose
 * length is not static falls back to `logMelSpectrogramStft`.
 */
export function logMelSpectrogram(waveform: Value, o: LogMelOptions): Value {
  if (typeof waveform.shape[1] !== 'number') return logMelSpectrogramStft(waveform, o);
  const g = waveform.graph;
  const basis = g.constant(windowedDftBasis(paddedHannWindow(o.frameLength, o.fftSize))); // [N, 2K]
  const fb = melFilterbank(o); // [K, M]
  const stacked = new Float32Array(2 * fb.data.length);
  stacked.set(fb.data);
  stacked.set(fb.data, fb.data.length);
  const fb2 = g.constant(hostTensor('float32', [2 * fb.shape[0]!, o.melBins], stacked)); // [2K, M] = [W_mel; W_mel]
  const frames = frameSignal(waveform, o.fftSize, o.hop); // [B, F, N]
  const spec = op.matmul(frames, basis); // [B, F, 2K]
  const mel = op.matmul(op.square(spec), fb2); // [B, F, M]
  return op.log(op.add(mel, LOG_MEL_FLOOR)); // [B, F, M]
}

/**
 * The same log-mel through the ONNX STFT op (opset 17+), for waveforms of
 * non-static length and as the reference `logMelSpectrogram` is tested
 * against:
 *
 *   X = STFT(x; hop, Hann(frameLength) centred in fftSize)   [B, frames, K, 2]
 *   mel = (Re² + Im²) · W_mel                                 [B, frames, M]
 *   out = log(mel + 1e-6)
 */
export function logMelSpectrogramStft(waveform: Value, o: LogMelOptions): Value {
  const g = waveform.graph;
  const window = g.constant(hostTensor('float32', [o.fftSize], Float32Array.from(paddedHannWindow(o.frameLength, o.fftSize)))); // [N]
  const fb = g.constant(melFilterbank(o)); // [K, M]
  const spec = op.stft(op.unsqueeze(waveform, [2]), o.hop, { window }); // [B, frames, K, 2]
  const power = op.reduceSum(op.mul(spec, spec), [3]); // [B, frames, K]
  const mel = op.matmul(power, fb); // [B, frames, M]
  return op.log(op.add(mel, LOG_MEL_FLOOR)); // [B, frames, M]
}
