import { describe, expect, it } from 'vitest';
import { Graph } from '../graph/graph.js';
import { initParams } from '../runtime/init-params.js';
import { WindowMerge, windowTokenIndices } from './window-merge.js';
import { expectClose, linearRef, randn, runY } from './test-helpers.js';

describe('WindowMerge', () => {
  it('lists each window’s tokens in row-major order, neighbouring windows sharing a row or column of tokens', () => {
    // A 4×4 grid, windows of 2 at stride 1: 3×3 windows.
    const idx = windowTokenIndices(4, 2, 1);
    expect(idx.length).toBe(9);
    expect(idx[0]).toEqual([0, 1, 4, 5]);
    expect(idx[1]).toEqual([1, 2, 5, 6]);
    expect(idx[4]).toEqual([5, 6, 9, 10]);
    expect(idx[8]).toEqual([10, 11, 14, 15]);
    // 8×8 at window 4, stride 2 (mm-small's keyframe motion): 3×3 windows, the last starting at token (4, 4).
    const big = windowTokenIndices(8, 4, 2);
    expect(big.length).toBe(9);
    expect(big[8]![0]).toBe(4 * 8 + 4);
    expect(big[8]![15]).toBe(63);
  });

  it('projects each window’s concatenated tokens and adds the window’s place embedding', async () => {
    const [b, grid, window, stride, dim] = [2, 4, 2, 2, 3];
    const g = new Graph();
    const merge = new WindowMerge(g, 'wm', { dim, grid, window, stride });
    expect(merge.windows).toBe(4);
    g.output('y', merge.apply(g.input('x', 'float32', ['batch', grid * grid, dim]))); // [batch, 4, D]
    const params = initParams(g, 3);
    const xv = randn([b, grid * grid, dim], 4);
    const idx = windowTokenIndices(grid, window, stride);
    const gathered = new Float64Array(b * idx.length * window * window * dim);
    let at = 0;
    for (let n = 0; n < b; n++) for (const w of idx) for (const t of w) for (let c = 0; c < dim; c++) gathered[at++] = xv.data[(n * grid * grid + t) * dim + c]!;
    const p = (name: string) => params.get(`wm.${name}`)!.data as Float32Array;
    const projected = linearRef(gathered, p('proj.weight'), p('proj.bias'), window * window * dim, dim);
    const places = p('places');
    const expected = projected.map((v, i) => v + places[i % (idx.length * dim)]!);
    const y = await runY(g, params, { x: xv });
    expect(y.shape).toEqual([b, 4, dim]);
    expectClose(y, expected, 1e-4);
  });

  it('rejects windows that do not tile the grid and inputs of another grid', () => {
    expect(() => new WindowMerge(new Graph(), 'w', { dim: 2, grid: 4, window: 5, stride: 1 })).toThrow(/window 5 is larger than the token grid side 4/);
    expect(() => new WindowMerge(new Graph(), 'w', { dim: 2, grid: 8, window: 4, stride: 3 })).toThrow(/stride 3 does not step from 0 to grid − window \(4\)/);
    const g = new Graph();
    const merge = new WindowMerge(g, 'w', { dim: 2, grid: 4, window: 2, stride: 2 });
    expect(() => merge.apply(g.input('x', 'float32', ['batch', 20, 2]))).toThrow(/expected \[B, 16, 2\] tokens, got batch×20×2/);
    const wide = new WindowMerge(g, 'wide', { dim: 2, inDim: 4, grid: 4, window: 2, stride: 2 });
    expect(g.params.get('wide.proj.weight')!.value.shape).toEqual([16, 2]); // w²·D_in × D
    expect(() => wide.apply(g.input('y', 'float32', ['batch', 16, 2]))).toThrow(/expected \[B, 16, 4\] tokens, got batch×16×2/);
  });
});
