/**
 * Host-side bookkeeping of the decoder's per-row tensors between runs: a
 * run's outputs hold every row of its batch ([B, H, W, d_h] per layer), a
 * row remembers which run and index it lives at and which of the W slots
 * are real. A new batch is stacked by copying each row's real slots once
 * (whole runs of slots, never element by element) into reused scratch
 * buffers; a batch that is exactly the last run's rows in order is fed that
 * run's outputs with no copy.
 */
import * as ort from 'onnxruntime-node';

/** The outputs of one run, by name, each [B, H, W, d_h], and which of the W slots of each row are real. */
export interface RunRows {
  tensors: Record<string, ort.Tensor>;
  /** Rows B of the run. */
  size: number;
  /** Slots W per row. */
  width: number;
  /** [B, W], 1 = real (for the memory: the real memory positions, kept in place). */
  mask: Uint8Array;
}

/** Where a row lives: row `index` of a run. */
export interface RowAt {
  run: RunRows;
  index: number;
}

/** [start, end) ranges of slots of one row of a run to copy. */
export type SlotRuns = [number, number][];

/** The maximal runs of real slots of row i of `run` (its mask). */
export function realRuns(run: RunRows, i: number): SlotRuns {
  const out: SlotRuns = [];
  const m = run.mask;
  const base = i * run.width;
  for (let j = 0; j < run.width; ) {
    if (!m[base + j]) {
      j++;
      continue;
    }
    const start = j;
    while (j < run.width && m[base + j]) j++;
    out.push([start, j]);
  }
  return out;
}

/** True when `refs` are rows 0..n−1 of one run of n rows (its outputs can be fed back as they are). */
export function isWholeRun(refs: readonly (RowAt | null)[]): boolean {
  const run = refs[0]?.run;
  return run !== undefined && run.size === refs.length && refs.every((r, i) => r !== null && r.run === run && r.index === i);
}

/**
 * Float32 buffers reused from run to run, one per name, grown as needed:
 * `take` hands out a zeroed view of the first n values, valid until the next
 * `take` of that name.
 */
export class Scratch {
  private readonly buffers = new Map<string, Float32Array>();

  take(name: string, n: number): Float32Array {
    let buf = this.buffers.get(name);
    if (!buf || buf.length < n) {
      buf = new Float32Array(Math.max(n, Math.ceil((buf?.length ?? 0) * 1.5)));
      this.buffers.set(name, buf);
    }
    const view = buf.subarray(0, n);
    view.fill(0);
    return view;
  }
}

/**
 * Stacks the given slots of each row into [B, H, W, d_h] tensors (one per
 * name pair `from → to`), each row's slots packed from position 0 and
 * zero-padded to `width`; a null row contributes only padding. With
 * `scratch` the tensors are views of its buffers (valid until its next use).
 */
export function stackRows(
  rows: readonly ({ at: RowAt; runs: SlotRuns } | null)[],
  names: readonly { from: string; to: string }[],
  heads: number,
  dh: number,
  width: number,
  scratch?: Scratch,
): Record<string, ort.Tensor> {
  const out: Record<string, ort.Tensor> = {};
  const b = rows.length;
  for (const { from, to } of names) {
    const n = b * heads * width * dh;
    const dst = scratch ? scratch.take(to, n) : new Float32Array(n); // [B, H, W, d_h]
    rows.forEach((r, i) => {
      if (!r) return;
      const src = r.at.run.tensors[from]!.data as Float32Array; // [B_src, H, W_src, d_h]
      const w = r.at.run.width;
      for (let h = 0; h < heads; h++) {
        const from0 = (r.at.index * heads + h) * w * dh;
        let to0 = (i * heads + h) * width * dh;
        for (const [s, e] of r.runs) {
          dst.set(src.subarray(from0 + s * dh, from0 + e * dh), to0);
          to0 += (e - s) * dh;
        }
      }
    });
    out[to] = new ort.Tensor('float32', dst, [b, heads, width, dh]);
  }
  return out;
}
