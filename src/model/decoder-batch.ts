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
   * The last step's batch: its rows, the caches it returned (fed straight
   * back as the next `past` while the rows stay the same, so steady decoding
   * copies no cache in JavaScript), which slots are real, and the stacked memory.
   */
  private packed: { rows: DecodeRow[]; present: Record<string, ort.Tensor>; mask: Uint8Array; slots: number; memFeeds: Record<string, ort.Tensor> } | null = null;

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
    const same = this.packed !== null && this.packed.rows.length === b && this.packed.rows.every((r, i) => r === rows[i]);
    if (!same) this.unpack();
    const feeds: Record<string, ort.Tensor> = {
      ids: new ort.Tensor('int64', BigInt64Array.from(ids.flat().map(BigInt)), [b, tNew]),
      positions: new ort.Tensor('int64', BigInt64Array.from(rows.flatMap((r) => ids[0]!.map((_, i) => BigInt(r.length + i)))), [b, tNew]),
    };
    let mask: Uint8Array;
    let slots: number;
    let memFeeds: Record<string, ort.Tensor>;
    if (same) {
      const p = this.packed!;
      ({ mask, slots, memFeeds } = p);
      for (let l = 0; l < layers; l++) {
        const n = cacheNames(l);
        feeds[n.pastK] = p.present[n.presentK]!;
        feeds[n.pastV] = p.present[n.presentV]!;
      }
    } else {
      slots = Math.max(...rows.map((r) => r.length));
      const sMax = Math.max(...rows.map((r) => r.memLen));
      mask = Uint8Array.from(rows.flatMap((r) => Array.from({ length: slots }, (_, j) => (j < r.length ? 1 : 0))));
      memFeeds = { memory_mask: new ort.Tensor('bool', Uint8Array.from(rows.flatMap((r) => Array.from({ length: sMax }, (_, j) => (j < r.memLen ? r.memMask[j]! : 0)))), [b, sMax]) };
      for (let l = 0; l < layers; l++) {
        const n = cacheNames(l);
        feeds[n.pastK] = stackPadded(rows.map((r) => [r.cacheK[l]!, r.length]), heads, slots, dh);
        feeds[n.pastV] = stackPadded(rows.map((r) => [r.cacheV[l]!, r.length]), heads, slots, dh);
        memFeeds[n.memK] = stackPadded(rows.map((r) => [r.memK[l]!, r.memLen]), heads, sMax, dh);
        memFeeds[n.memV] = stackPadded(rows.map((r) => [r.memV[l]!, r.memLen]), heads, sMax, dh);
      }
    }
    feeds.past_mask = new ort.Tensor('bool', mask, [b, slots]);
    const out = await this.stepSession.ort.run({ ...feeds, ...memFeeds });
    // The new slots are real for every row: widen the mask by tNew columns of ones.
    const next = new Uint8Array(b * (slots + tNew));
    for (let i = 0; i < b; i++) {
      next.set(mask.subarray(i * slots, (i + 1) * slots), i * (slots + tNew));
      next.fill(1, i * (slots + tNew) + slots, (i + 1) * (slots + tNew));
    }
    const present: Record<string, ort.Tensor> = {};
    for (let l = 0; l < layers; l++) {
      const n = cacheNames(l);
      present[n.presentK] = out[n.presentK] as ort.Tensor;
      present[n.presentV] = out[n.presentV] as ort.Tensor;
    }
    this.packed = { rows: [...rows], present, mask: next, slots: slots + tNew, memFeeds };
    rows.forEach((r) => (r.length += tNew));
    const logits = out.logits!.data as Float32Array;
    const v = this.shape.vocabSize;
    return rows.map((_, i) => logits.slice(i * v, (i + 1) * v));
  }

  /** Writes the packed batch's caches back into its rows (only their real slots), before the batch changes. */
  private unpack(): void {
    const p = this.packed;
    if (!p) return;
    const { layers, heads, headDim: dh } = this.shape;
    p.rows.forEach((r, i) => {
      const real = [...Array(p.slots).keys()].filter((j) => p.mask[i * p.slots + j] === 1);
      for (let l = 0; l < layers; l++) {
        const n = cacheNames(l);
        r.cacheK[l] = gatherSlots(p.present[n.presentK]!.data as Float32Array, i, real, p.slots, heads, dh);
        r.cacheV[l] = gatherSlots(p.present[n.presentV]!.data as Float32Array, i, real, p.slots, heads, dh);
      }
    });
    this.packed = null;
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

/** Row i's cache [H, slots.length, d_h] from a packed [B, H, total, d_h] tensor: the given slots, in order. */
function gatherSlots(packed: Float32Array, i: number, slots: number[], total: number, heads: number, dh: number): Float32Array {
  const out = new Float32Array(heads * slots.length * dh);
  for (let h = 0; h < heads; h++) {
    const base = (i * heads + h) * total * dh;
    slots.forEach((j, k) => out.set(packed.subarray(base + j * dh, base + (j + 1) * dh), (h * slots.length + k) * dh));
  }
  return out;
}
