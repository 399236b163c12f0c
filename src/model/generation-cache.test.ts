import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { isWholeRun, realRuns, Scratch, stackRows, type RunRows } from './generation-cache.js';

const H = 2;
const DH = 3;

/** A run of `mask.length` rows of width W whose value at (b, h, slot, d) is b·1000 + h·100 + slot·10 + d. */
function run(mask: number[][]): RunRows {
  const b = mask.length;
  const w = mask[0]!.length;
  const data = new Float32Array(b * H * w * DH).map((_, i) => {
    const d = i % DH;
    const slot = Math.floor(i / DH) % w;
    const h = Math.floor(i / (DH * w)) % H;
    const row = Math.floor(i / (DH * w * H));
    return row * 1000 + h * 100 + slot * 10 + d;
  });
  return { tensors: { x: new ort.Tensor('float32', data, [b, H, w, DH]) }, size: b, width: w, mask: Uint8Array.from(mask.flat()) };
}

describe('decoder row bookkeeping', () => {
  it('finds the runs of real slots of a row', () => {
    const r = run([
      [1, 1, 0, 0, 1, 1, 1],
      [0, 1, 0, 1, 0, 0, 1],
    ]);
    expect(realRuns(r, 0)).toEqual([
      [0, 2],
      [4, 7],
    ]);
    expect(realRuns(r, 1)).toEqual([
      [1, 2],
      [3, 4],
      [6, 7],
    ]);
  });

  it('stacks rows of different runs, real slots packed from 0 and zero-padded, in the order asked', () => {
    const a = run([
      [1, 1, 0, 1],
      [1, 0, 0, 0],
    ]);
    const b = run([[1, 1, 1]]);
    const rows = [
      { at: { run: b, index: 0 }, runs: realRuns(b, 0) },
      null,
      { at: { run: a, index: 0 }, runs: realRuns(a, 0) },
      { at: { run: a, index: 1 }, runs: realRuns(a, 1) },
    ];
    const out = stackRows(rows, [{ from: 'x', to: 'y' }], H, DH, 3).y!;
    expect(out.dims).toEqual([4, H, 3, DH]);
    const at = (row: number, h: number, slot: number) => Array.from((out.data as Float32Array).subarray(((row * H + h) * 3 + slot) * DH, ((row * H + h) * 3 + slot + 1) * DH));
    const src = (row: number, h: number, slot: number) => [0, 1, 2].map((d) => row * 1000 + h * 100 + slot * 10 + d);
    for (let h = 0; h < H; h++) {
      expect([at(0, h, 0), at(0, h, 1), at(0, h, 2)]).toEqual([src(0, h, 0), src(0, h, 1), src(0, h, 2)]); // b row 0 as it was
      expect([at(1, h, 0), at(1, h, 1), at(1, h, 2)]).toEqual([[0, 0, 0], [0, 0, 0], [0, 0, 0]]); // a new row: padding only
      expect([at(2, h, 0), at(2, h, 1), at(2, h, 2)]).toEqual([src(0, h, 0), src(0, h, 1), src(0, h, 3)]); // a row 0: slot 2 skipped
      expect([at(3, h, 0), at(3, h, 1), at(3, h, 2)]).toEqual([src(1, h, 0), [0, 0, 0], [0, 0, 0]]);
    }
  });

  it('a batch is a whole run only when it is all of that run, in order', () => {
    const a = run([[1], [1], [1]]);
    const b = run([[1], [1], [1]]);
    expect(isWholeRun([0, 1, 2].map((index) => ({ run: a, index })))).toBe(true);
    expect(isWholeRun([0, 2, 1].map((index) => ({ run: a, index })))).toBe(false);
    expect(isWholeRun([0, 1].map((index) => ({ run: a, index })))).toBe(false);
    expect(isWholeRun([{ run: a, index: 0 }, { run: b, index: 1 }, { run: a, index: 2 }])).toBe(false);
    expect(isWholeRun([{ run: a, index: 0 }, null, { run: a, index: 2 }])).toBe(false);
    expect(isWholeRun([])).toBe(false);
  });

  it('scratch buffers are reused per name, handed out zeroed, and grow when asked for more', () => {
    const s = new Scratch();
    const a = s.take('k', 6);
    a.fill(7);
    const b = s.take('k', 4);
    expect(b.buffer).toBe(a.buffer); // reused
    expect(Array.from(b)).toEqual([0, 0, 0, 0]);
    expect(s.take('v', 4).buffer).not.toBe(a.buffer); // one buffer per name
    const c = s.take('k', 100);
    expect(c.length).toBe(100);
    expect(c.buffer).not.toBe(a.buffer);
    expect(c.every((x) => x === 0)).toBe(true);
  });
});
