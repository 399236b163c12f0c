import { describe, expect, it } from 'vitest';
import { Graph } from '../../graph/graph.js';
import { patchify } from './patchify.js';
import { randn, runGraph } from './test-helpers.js';

/**
 * Plain reference of the documented order, for x [B, F, C, H, W]:
 * out[b, (ft·Hp + r)·Wp + c, ((ch·t + dt)·P + py)·P + px] = x[b, ft·t + dt, ch, r·P + py, c·P + px].
 */
function patchifyRef(x: Float32Array, [B, F, C, H, W]: number[], p: number, t: number): Float32Array {
  const [Ft, Hp, Wp] = [F! / t, H! / p, W! / p];
  const feat = C! * t * p * p;
  const out = new Float32Array(B! * Ft * Hp * Wp * feat);
  for (let b = 0; b < B!; b++)
    for (let ft = 0; ft < Ft; ft++)
      for (let r = 0; r < Hp; r++)
        for (let c = 0; c < Wp; c++)
          for (let ch = 0; ch < C!; ch++)
            for (let dt = 0; dt < t; dt++)
              for (let py = 0; py < p; py++)
                for (let px = 0; px < p; px++) {
                  const n = (ft * Hp + r) * Wp + c;
                  const j = ((ch * t + dt) * p + py) * p + px;
                  const src = (((b * F! + ft * t + dt) * C! + ch) * H! + r * p + py) * W! + c * p + px;
                  out[(b * Ft * Hp * Wp + n) * feat + j] = x[src]!;
                }
  return out;
}

describe('patchify', () => {
  it('cuts a non-square image [B, 3, 8, 12] into 4×4 patches exactly as the reference', async () => {
    const g = new Graph();
    const x = g.input('x', 'float32', ['batch', 3, 8, 12]);
    const { patches, grid } = patchify(x, { patch: 4, what: 'test' }); // [batch, 6, 48]
    expect(grid).toEqual({ times: 1, rows: 2, cols: 3 });
    expect(patches.shape).toEqual(['batch', 6, 48]);
    const xv = randn([2, 3, 8, 12], 1);
    const out = (await runGraph(g, { y: patches }, { x: xv })).y!;
    expect(out.shape).toEqual([2, 6, 48]);
    expect(Array.from(out.data as Float32Array)).toEqual(Array.from(patchifyRef(xv.data, [2, 1, 3, 8, 12], 4, 1)));
  });

  it('cuts video [B, 4, 3, 4, 6] into 2×2×2 tubelets exactly as the reference', async () => {
    const g = new Graph();
    const x = g.input('x', 'float32', ['batch', 4, 3, 4, 6]);
    const { patches, grid } = patchify(x, { patch: 2, tubelet: 2, what: 'test' }); // [batch, 12, 24]
    expect(grid).toEqual({ times: 2, rows: 2, cols: 3 });
    expect(patches.shape).toEqual(['batch', 12, 24]);
    const xv = randn([3, 4, 3, 4, 6], 2);
    const out = (await runGraph(g, { y: patches }, { x: xv })).y!;
    expect(out.shape).toEqual([3, 12, 24]);
    expect(Array.from(out.data as Float32Array)).toEqual(Array.from(patchifyRef(xv.data, [3, 4, 3, 4, 6], 2, 2)));
  });

  it('an image equals a one-frame video with tubelets of one frame', async () => {
    const g = new Graph();
    const img = g.input('img', 'float32', ['batch', 3, 4, 4]);
    const vid = g.input('vid', 'float32', ['batch', 1, 3, 4, 4]);
    const a = patchify(img, { patch: 2, what: 'img' }).patches; // [batch, 4, 12]
    const b = patchify(vid, { patch: 2, what: 'vid' }).patches; // [batch, 4, 12]
    const xv = randn([2, 3, 4, 4], 3);
    const out = await runGraph(g, { a, b }, { img: xv, vid: { ...xv, shape: [2, 1, 3, 4, 4] } });
    expect(Array.from(out.a!.data as Float32Array)).toEqual(Array.from(out.b!.data as Float32Array));
  });

  it('rejects sizes that do not divide, naming the caller and the shape', () => {
    const g = new Graph();
    expect(() => patchify(g.input('a', 'float32', ['batch', 3, 10, 8]), { patch: 4, what: 'Enc e: input x' })).toThrow(
      'Enc e: input x [batch, 3, 10, 8]: height 10 is not divisible by patch size 4',
    );
    expect(() => patchify(g.input('b', 'float32', ['batch', 3, 3, 8, 8]), { patch: 4, tubelet: 2, what: 'V' })).toThrow(
      'V [batch, 3, 3, 8, 8]: frames 3 is not divisible by tubeletFrames 2',
    );
    expect(() => patchify(g.input('c', 'float32', ['batch', 3, 'h', 8]), { patch: 4, what: 'I' })).toThrow(/height must be a static size/);
    expect(() => patchify(g.input('d', 'float32', [2, 8, 8]), { patch: 4, what: 'I' })).toThrow(/I \[2, 8, 8\]: expected/);
  });
});
