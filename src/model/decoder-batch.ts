/**
 * Continuous batching for the decoder: each generating request is a row
 * with its own cross-attention memory and KV cache. A step stacks the rows
 * (caches and memories padded to the longest, with masks), runs the step
 * graph once, and hands each row its logits and its extended cache; rows
 * join and leave between steps.
 */
import * as ort from 'onnxruntime-node';
import type { HostTensor } from '../graph/host-tensor.js';
import type { Session } from '../runtime/session.js';
import { cacheNames } from './generation-graphs.js';

/** One request's decoding state. */
export interface DecodeRow {
  /** Per layer: cross-attention keys and values [H, S, d_h] of this row's memory. */
  memK: Float32Array[];
  memV: Float32Array[];
  /** Memory positions S and which are real. */
  memLen: number;
  memMask: Uint8Array;
  /** Per layer: self-attention cache [H, P, d_h] (P = tokens seen so far). */
  cacheK: Float32Array[];
  cacheV: Float32Array[];
  length: number;
}

export interface DecoderShape {
  layers: number;
  heads: number;
  headDim: number;
  vocabSize: number;
}

export class DecoderStepper {
  constructor(
    readonly shape: DecoderShape,
    readonly memorySession: Session,
    readonly stepSession: Session,
  ) {}

  /** A new row for one request: projects its memory [S, D] (mask [S]) into every layer's keys/values. */
  async newRow(memory: Float32Array, memLen: number, dim: number, memMask: Uint8Array): Promise<DecodeRow> {
    const out = await this.memorySession.ort.run({ memory: new ort.Tensor('float32', memory, [1, memLen, dim]) });
    const row: DecodeRow = { memK: [], memV: [], memLen, memMask, cacheK: [], cacheV: [], length: 0 };
    for (let i = 0; i < this.shape.layers; i++) {
      const n = cacheNames(i);
      row.memK.push(out[n.memK]!.data as Float32Array);
      row.memV.push(out[n.memV]!.data as Float32Array);
      row.cacheK.push(new Float32Array(0));
      row.cacheV.push(new Float32Array(0));
    }
    return row;
  }

  /**
   * Feeds each row its new tokens (all rows the same count: 1 when decoding,
   * the prompt when a single row is prefilled) and returns each row's
   * next-token logits [V]; the rows' caches grow by that count.
   */
  async step(rows: DecodeRow[], ids: number[][]): Promise<Float32Array[]> {
    const b = rows.length;
    const tNew = ids[0]?.length ?? 0;
    if (b === 0 || tNew === 0 || ids.some((r) => r.length !== tNew)) throw new Error('step needs one equally long list of new tokens per row');
    const { layers, heads, headDim: dh } = this.shape;
    const pMax = Math.max(...rows.map((r) => r.length));
    const sMax = Math.max(...rows.map((r) => r.memLen));
    const feeds: Record<string, ort.Tensor> = {
      ids: new ort.Tensor('int64', BigInt64Array.from(ids.flat().map(BigInt)), [b, tNew]),
      positions: new ort.Tensor('int64', BigInt64Array.from(rows.flatMap((r) => ids[0]!.map((_, i) => BigInt(r.length + i)))), [b, tNew]),
      past_mask: new ort.Tensor('bool', Uint8Array.from(rows.flatMap((r) => Array.from({ length: pMax }, (_, j) => (j < r.length ? 1 : 0)))), [b, pMax]),
      memory_mask: new ort.Tensor('bool', Uint8Array.from(rows.flatMap((r) => Array.from({ length: sMax }, (_, j) => (j < r.memLen ? r.memMask[j]! : 0)))), [b, sMax]),
    };
    for (let l = 0; l < layers; l++) {
      const n = cacheNames(l);
      feeds[n.pastK] = stackPadded(rows.map((r) => [r.cacheK[l]!, r.length]), heads, pMax, dh);
      feeds[n.pastV] = stackPadded(rows.map((r) => [r.cacheV[l]!, r.length]), heads, pMax, dh);
      feeds[n.memK] = stackPadded(rows.map((r) => [r.memK[l]!, r.memLen]), heads, sMax, dh);
      feeds[n.memV] = stackPadded(rows.map((r) => [r.memV[l]!, r.memLen]), heads, sMax, dh);
    }
    const out = await this.stepSession.ort.run(feeds);
    for (let l = 0; l < layers; l++) {
      const n = cacheNames(l);
      rows.forEach((r, i) => {
        r.cacheK[l] = extendCache(out[n.presentK]!.data as Float32Array, i, r.length, pMax, tNew, heads, dh);
        r.cacheV[l] = extendCache(out[n.presentV]!.data as Float32Array, i, r.length, pMax, tNew, heads, dh);
      });
    }
    rows.forEach((r) => (r.length += tNew));
    const logits = out.logits!.data as Float32Array;
    const v = this.shape.vocabSize;
    return rows.map((_, i) => logits.slice(i * v, (i + 1) * v));
  }
}

/** Rows' [H, len, d_h] arrays stacked into [B, H, max, d_h], zero-padded along the length. */
function stackPadded(rows: [Float32Array, number][], heads: number, max: number, dh: number): ort.Tensor {
  const out = new Float32Array(rows.length * heads * max * dh);
  rows.forEach(([x, len], b) => {
    for (let h = 0; h < heads; h++) out.set(x.subarray(h * len * dh, (h + 1) * len * dh), ((b * heads + h) * max) * dh);
  });
  return new ort.Tensor('float32', out, [rows.length, heads, max, dh]);
}

/** Row i's real cache after a step: its `len` real slots of the padded past, then the `tNew` new slots at pMax. */
function extendCache(present: Float32Array, i: number, len: number, pMax: number, tNew: number, heads: number, dh: number): Float32Array {
  const total = pMax + tNew;
  const out = new Float32Array(heads * (len + tNew) * dh);
  for (let h = 0; h < heads; h++) {
    const src = ((i * heads + h) * total) * dh;
    const dst = h * (len + tNew) * dh;
    out.set(present.subarray(src, src + len * dh), dst);
    out.set(present.subarray(src + pMax * dh, src + total * dh), dst + len * dh);
  }
  return out;
}
