/**
 * Signal ops: STFT (ONNX opset 17+). Not differentiable: it turns input data
 * (waveforms) into features, so no parameter gradient ever flows through it.
 */
import { defineOp } from '../op-schema.js';
import { freshDim, type Dim } from '../shape.js';
import type { Value } from '../value.js';
import { knownInts, req, requireFloat, requireIndexType } from './infer-helpers.js';

defineOp({
  opType: 'STFT',
  attrs: { onesided: 'int' },
  differentiableInputs: [],
  infer(inputs, attrs) {
    const signal = req(inputs, 0, 'signal');
    const step = req(inputs, 1, 'frame_step');
    const window = inputs[2] ?? null;
    const lengthIn = inputs[3] ?? null;
    requireFloat(signal, 'signal');
    if (signal.rank !== 3 || (signal.shape[2] !== 1 && signal.shape[2] !== 2)) {
      throw new Error(`signal must be [batch, length, 1] (real) or [batch, length, 2] (complex), got [${signal.shape.join(', ')}]`);
    }
    requireIndexType(step, 'frame_step');
    const hop = knownInts(step)?.[0];
    let n: Dim | undefined;
    if (window) {
      if (window.rank !== 1) throw new Error(`window must be 1-D, got [${window.shape.join(', ')}]`);
      if (window.dtype !== signal.dtype) throw new Error(`window must be ${signal.dtype}, got ${window.dtype}`);
      n = window.shape[0];
    }
    if (lengthIn) {
      requireIndexType(lengthIn, 'frame_length');
      const len = knownInts(lengthIn)?.[0];
      if (len !== undefined && typeof n === 'number' && len !== n) throw new Error(`frame_length ${len} differs from the window length ${n}`);
      n = len ?? n;
    }
    if (n === undefined) throw new Error('STFT needs a window or a frame_length');
    const onesided = ((attrs.onesided as number | undefined) ?? 1) !== 0;
    if (onesided && signal.shape[2] === 2) throw new Error('onesided output needs a real signal');
    const len = signal.shape[1]!;
    let frames: Dim;
    if (typeof len === 'number' && typeof n === 'number' && hop !== undefined) {
      if (hop < 1) throw new Error(`frame_step must be ≥ 1, got ${hop}`);
      if (len < n) throw new Error(`signal length ${len} is shorter than one frame (${n})`);
      frames = Math.floor((len - n) / hop) + 1;
    } else {
      frames = freshDim('frames');
    }
    const bins: Dim = typeof n === 'number' ? (onesided ? Math.floor(n / 2) + 1 : n) : freshDim('bins');
    return [{ dtype: signal.dtype, shape: [signal.shape[0]!, frames, bins, 2] }];
  },
});

// ---- builders -------------------------------------------------------------

export interface StftOptions {
  /** Window [frameLength] (default: rectangular); its length is the DFT size. */
  window?: Value;
  /** DFT size when no window is given. */
  frameLength?: number;
  /** Keep only the N/2 + 1 non-negative frequencies of a real signal (default true). */
  onesided?: boolean;
}

/**
 * Short-time Fourier transform of `signal` [B, L, 1] (real) or [B, L, 2]
 * (complex): frame f is samples [f·hop, f·hop + N) times the window, then an
 * N-point DFT X[k] = Σ_n x[n]·e^(−2πi·kn/N). No padding or centring.
 * → [B, 1 + ⌊(L − N)/hop⌋, N/2 + 1 (onesided) or N, 2 (re, im)].
 */
export function stft(signal: Value, hop: number, o: StftOptions = {}): Value {
  const g = signal.graph;
  const inputs: (Value | null)[] = [signal, g.scalar(hop, 'int64'), o.window ?? null];
  if (o.frameLength !== undefined) inputs.push(g.scalar(o.frameLength, 'int64'));
  while (inputs[inputs.length - 1] === null) inputs.pop();
  return g.apply('STFT', inputs, o.onesided === false ? { onesided: 0 } : {})[0]!;
}
