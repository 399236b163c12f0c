import { describe, expect, it } from 'vitest';
import { Graph } from '../graph/graph.js';
import { initParams } from '../runtime/init-params.js';
import { PatchMerge } from './patch-merge.js';
import { expectClose, layerNormRef, linearRef, randn, runY } from './test-helpers.js';

describe('PatchMerge', () => {
  it('concatenates each k×k block of every slice in row-major order, then LayerNorm and a projection', async () => {
    const [b, slices, grid, k, dim] = [2, 2, 4, 2, 3];
    const g = new Graph();
    const merge = new PatchMerge(g, 'merge', { dim, grid, merge: k });
    const x = g.input('x', 'float32', ['batch', slices * grid * grid, dim]);
    g.output('y', merge.apply(x)); // [batch, S·(G/k)², D]
    const params = initParams(g, 3);
    const xv = randn([b, slices * grid * grid, dim], 4);
    // The block of output token (s, i, j): inputs (s, k·i + di, k·j + dj) for di, dj in row-major order.
    const h = grid / k;
    const gathered = new Float64Array(b * slices * h * h * k * k * dim);
    let at = 0;
    for (let n = 0; n < b; n++)
      for (let s = 0; s < slices; s++)
        for (let i = 0; i < h; i++)
          for (let j = 0; j < h; j++)
            for (let di = 0; di < k; di++)
              for (let dj = 0; dj < k; dj++)
                for (let c = 0; c < dim; c++) gathered[at++] = xv.data[((n * slices + s) * grid * grid + (k * i + di) * grid + (k * j + dj)) * dim + c]!;
    const p = (name: string) => params.get(`merge.${name}`)!.data as Float32Array;
    const expected = linearRef(layerNormRef(gathered, k * k * dim), p('proj.weight'), p('proj.bias'), k * k * dim, dim);
    const y = await runY(g, params, { x: xv });
    expect(y.shape).toEqual([b, slices * h * h, dim]);
    expect(merge.tokensPerSlice).toBe(4);
    expectClose(y, expected, 1e-4);
  });

  it('rejects a merge that does not divide the grid and tokens that are not whole grids', () => {
    expect(() => new PatchMerge(new Graph(), 'm', { dim: 4, grid: 6, merge: 4 })).toThrow(/merge 4 does not divide the token grid side 6/);
    const g = new Graph();
    const merge = new PatchMerge(g, 'm', { dim: 4, grid: 4, merge: 2 });
    expect(() => merge.apply(g.input('x', 'float32', ['batch', 20, 4]))).toThrow(/expected \[B, S·4·4, 4\] tokens, got batch×20×4/);
  });
});

describe('PatchMerge without a norm', () => {
  it('projects the raw block (a zero block gives the bias) and holds no norm parameters', async () => {
    const [grid, k, dim] = [2, 2, 3];
    const g = new Graph();
    const merge = new PatchMerge(g, 'merge', { dim, grid, merge: k, normalize: false });
    expect([...g.params.keys()].sort()).toEqual(['merge.proj.bias', 'merge.proj.weight']);
    g.output('y', merge.apply(g.input('x', 'float32', ['batch', grid * grid, dim]))); // [batch, 1, D]
    const params = initParams(g, 3);
    const xv = randn([2, grid * grid, dim], 5);
    xv.data.fill(0, 0, grid * grid * dim); // the first example's block is all zeros
    const p = (name: string) => params.get(`merge.${name}`)!.data as Float32Array;
    const expected = linearRef(Float64Array.from(xv.data), p('proj.weight'), p('proj.bias'), k * k * dim, dim);
    const y = await runY(g, params, { x: xv });
    expectClose(y, expected, 1e-5);
    expectClose({ ...y, data: (y.data as Float32Array).subarray(0, dim) }, Float64Array.from(p('proj.bias')), 1e-6);
  });
});
