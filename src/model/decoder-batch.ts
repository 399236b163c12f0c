/**
 * Continuous batching for the decoder: each generating request is a row
 * with its own cross-attention memory and KV cache. Rows join and leave
 * between steps; a step runs the step graph once over its rows, even when
 * they read different numbers of new tokens (prompts of different lengths
 * are prefilled together, right-padded, see generation-graphs.ts).
 *
 * Rows keep no copies of their tensors: a row points at the run whose
 * outputs hold its memory keys/values and its cache (generation-cache.ts).
 * A step over exactly the last step's rows feeds that step's caches back
 * as they are; any other batch is stacked with one copy of each row's real
 * slots, into buffers reused from step to step (one step at a time uses
 * them; a step started while another is running stacks into new ones).
 */
import * as ort from 'onnxruntime-node';
import type { Session } from '../runtime/session.js';
import { isWholeRun, realRuns, Scratch, stackRows, type RowAt, type RunRows } from './generation-cache.js';
import { cacheNames } from './generation-graphs.js';

/** One request's decoding state. */
export interface DecodeRow {
  /** Memory positions S of this row, and which of them are real [S]. */
  memLen: number;
  memMask: Uint8Array;
  /** Tokens read so far (the position of the next one). */
  length: number;
  /** Its cross-attention keys/values [H, S, d_h] per layer: a row of a memory run. */
  memory: RowAt;
  /** Its self-attention cache [H, P, d_h] per layer: a row of a step run (null before its first step). */
  cache: RowAt | null;
}

export interface DecoderShape {
  layers: number;
  heads: number;
  headDim: number;
  vocabSize: number;
  /** Longest sequence: positions are 0 … maxLen − 1. */
  maxLen: number;
}

/** A row's memory: [S, D] fused tokens (S = memLen) and which are real (default all). */
export interface RowMemory {
  memory: Float32Array;
  memLen: number;
  dim: number;
  memMask?: Uint8Array;
}

/** A step run: its caches (as RunRows) and the stacked memory it read, reused while the batch stays the same. */
interface StepRun extends RunRows {
  memFeeds: Record<string, ort.Tensor>;
}

export class DecoderStepper {
  private readonly memNames: { from: string; to: string }[];
  private readonly presentNames: { from: string; to: string }[];
  private readonly scratch = new Scratch();
  /** A run is using the scratch buffers. */
  private busy = false;
  /** Memory feeds stacked into the scratch buffers; only the latest (memOnScratch) still holds its values. */
  private readonly scratchMemory = new WeakSet<Record<string, ort.Tensor>>();
  private memOnScratch: Record<string, ort.Tensor> | null = null;

  constructor(
    readonly shape: DecoderShape,
    readonly memorySession: Session,
    readonly stepSession: Session,
  ) {
    const layers = Array.from({ length: shape.layers }, (_, l) => cacheNames(l));
    this.memNames = layers.flatMap((n) => [n.memK, n.memV].map((x) => ({ from: x, to: x })));
    this.presentNames = layers.flatMap((n) => [
      { from: n.presentK, to: n.pastK },
      { from: n.presentV, to: n.pastV },
    ]);
  }

  /** New rows for these requests: one memory-projection run over all their memories (padded to the longest). */
  async newRows(items: readonly RowMemory[]): Promise<DecodeRow[]> {
    if (items.length === 0) return [];
    const n = items.length;
    const dim = items[0]!.dim;
    if (items.some((x) => x.dim !== dim || x.memory.length < x.memLen * dim)) throw new Error(`every row's memory must be [memLen, ${dim}]`);
    const sMax = Math.max(...items.map((x) => x.memLen));
    const scratch = this.acquire();
    let out: ort.InferenceSession.ReturnType;
    try {
      const data = scratch ? scratch.take('memory', n * sMax * dim) : new Float32Array(n * sMax * dim); // [N, S_max, D]
      items.forEach((x, i) => data.set(x.memory.subarray(0, x.memLen * dim), i * sMax * dim));
      out = await this.memorySession.ort.run({ memory: new ort.Tensor('float32', data, [n, sMax, dim]) });
    } finally {
      if (scratch) this.busy = false;
    }
    const mask = new Uint8Array(n * sMax); // [N, S_max]
    items.forEach((x, i) => mask.set(x.memMask ?? new Uint8Array(x.memLen).fill(1), i * sMax));
    const tensors = Object.fromEntries(this.memNames.map(({ from }) => [from, out[from] as ort.Tensor])); // each [N, H, S_max, d_h]
    const run: RunRows = { tensors, size: n, width: sMax, mask };
    return items.map((x, i) => ({ memLen: x.memLen, memMask: mask.slice(i * sMax, i * sMax + x.memLen), length: 0, memory: { run, index: i }, cache: null }));
  }

  /**
   * Feeds each row its new tokens (any count ≥ 1 per row: 1 when decoding,
   * the prompt when prefilling) and returns each row's next-token logits [V]
   * (views into the run's output); each row's cache grows by its own count.
   */
  async step(rows: DecodeRow[], ids: number[][]): Promise<Float32Array[]> {
    const b = rows.length;
    if (b === 0 || ids.length !== b || ids.some((r) => r.length === 0)) throw new Error('step needs a non-empty list of new tokens for each row');
    if (new Set(rows).size !== b) throw new Error('a row appears twice in one step');
    const { heads, headDim: dh, maxLen, vocabSize } = this.shape;
    rows.forEach((r, i) => {
      if (r.length + ids[i]!.length > maxLen) throw new Error(`row ${i}: ${r.length} + ${ids[i]!.length} tokens exceed the decoder's maxLen ${maxLen}`);
    });
    const tNew = Math.max(...ids.map((r) => r.length));
    const feeds: Record<string, ort.Tensor> = newTokenFeeds(rows, ids, tNew, maxLen);
    const newMask = feeds.new_mask!.data as Uint8Array; // [B, T_new]

    const refs = rows.map((r) => r.cache);
    const last = isWholeRun(refs) ? (refs[0]!.run as StepRun) : null;
    const scratch = this.acquire();
    let slots: number;
    let pastMask: Uint8Array; // [B, P]
    let memFeeds: Record<string, ort.Tensor>;
    let out: ort.InferenceSession.ReturnType;
    try {
      if (last) {
        ({ width: slots, mask: pastMask } = last);
        for (const { from, to } of this.presentNames) feeds[to] = last.tensors[from]!;
        const stale = this.scratchMemory.has(last.memFeeds) && last.memFeeds !== this.memOnScratch;
        memFeeds = stale ? this.memoryFeeds(rows, scratch) : last.memFeeds;
      } else {
        slots = Math.max(...rows.map((r) => r.length));
        pastMask = new Uint8Array(b * slots);
        rows.forEach((r, i) => pastMask.fill(1, i * slots, i * slots + r.length));
        const sources = rows.map((r) => (r.cache ? { at: r.cache, runs: realRuns(r.cache.run, r.cache.index) } : null));
        Object.assign(feeds, stackRows(sources, this.presentNames, heads, dh, slots, scratch)); // past_{k,v}.l [B, H, P, d_h]
        memFeeds = this.memoryFeeds(rows, scratch);
      }
      feeds.past_mask = new ort.Tensor('bool', pastMask, [b, slots]);
      out = await this.stepSession.ort.run({ ...feeds, ...memFeeds });
    } finally {
      if (scratch) this.busy = false;
    }

    // The new slots are real where the new tokens were: the mask widens by new_mask.
    const width = slots + tNew;
    const mask = new Uint8Array(b * width); // [B, P + T_new]
    for (let i = 0; i < b; i++) {
      mask.set(pastMask.subarray(i * slots, (i + 1) * slots), i * width);
      mask.set(newMask.subarray(i * tNew, (i + 1) * tNew), i * width + slots);
    }
    const tensors = Object.fromEntries(this.presentNames.map(({ from }) => [from, out[from] as ort.Tensor])); // each [B, H, P + T_new, d_h]
    const run: StepRun = { tensors, size: b, width, mask, memFeeds };
    rows.forEach((r, i) => {
      r.cache = { run, index: i };
      r.length += ids[i]!.length;
    });
    const logits = out.logits!.data as Float32Array; // [B, V]
    return rows.map((_, i) => logits.subarray(i * vocabSize, (i + 1) * vocabSize));
  }

  /** The scratch buffers, unless a run is using them (then undefined: allocate). */
  private acquire(): Scratch | undefined {
    if (this.busy) return undefined;
    this.busy = true;
    return this.scratch;
  }

  /** The stacked memory keys/values [B, H, S_max, d_h] and memory_mask [B, S_max] of these rows. */
  private memoryFeeds(rows: readonly DecodeRow[], scratch: Scratch | undefined): Record<string, ort.Tensor> {
    const b = rows.length;
    const sMax = Math.max(...rows.map((r) => r.memLen));
    const mask = new Uint8Array(b * sMax); // [B, S_max]
    rows.forEach((r, i) => mask.set(r.memMask, i * sMax));
    const feeds: Record<string, ort.Tensor> = { memory_mask: new ort.Tensor('bool', mask, [b, sMax]) };
    const refs = rows.map((r) => r.memory);
    if (isWholeRun(refs) && refs[0]!.run.width === sMax) {
      for (const { from, to } of this.memNames) feeds[to] = refs[0]!.run.tensors[from]!; // the memory run's own outputs
      return feeds;
    }
    const sources = rows.map((r) => ({ at: r.memory, runs: [[0, r.memLen]] as [number, number][] }));
    Object.assign(feeds, stackRows(sources, this.memNames, this.shape.heads, this.shape.headDim, sMax, scratch));
    if (scratch) {
      this.scratchMemory.add(feeds);
      this.memOnScratch = feeds;
    }
    return feeds;
  }
}

/** ids, positions and new_mask [B, T_new] of rows reading `ids`, right-padded (padding repeats a row's last id at clamped positions). */
function newTokenFeeds(rows: readonly DecodeRow[], ids: readonly number[][], tNew: number, maxLen: number): Record<string, ort.Tensor> {
  const b = rows.length;
  const idData = new BigInt64Array(b * tNew); // [B, T_new]
  const posData = new BigInt64Array(b * tNew); // [B, T_new]
  const real = new Uint8Array(b * tNew); // [B, T_new]
  rows.forEach((r, i) => {
    const row = ids[i]!;
    for (let j = 0; j < tNew; j++) {
      const k = i * tNew + j;
      idData[k] = BigInt(row[Math.min(j, row.length - 1)]!);
      posData[k] = BigInt(Math.min(r.length + j, maxLen - 1));
      real[k] = j < row.length ? 1 : 0;
    }
  });
  return {
    ids: new ort.Tensor('int64', idData, [b, tNew]),
    positions: new ort.Tensor('int64', posData, [b, tNew]),
    new_mask: new ort.Tensor('bool', real, [b, tNew]),
  };
}
