import { describe, expect, it } from 'vitest';
import { Graph } from '../graph/graph.js';
import type { HostTensor } from '../graph/host-tensor.js';
import { gelu } from '../moe/reference.js';
import { initParams } from '../runtime/init-params.js';
import { ConvStem, convStemWidths } from './conv-stem.js';
import { expectClose, layerNormRef, linearRef, randn, runY } from './test-helpers.js';

/** Direct 3×3 stride-2 convolution, zero padding 1 top/left, channels-last, in float64: the definition the stem must match. */
function conv3x3s2(x: Float64Array, [b, h, w, c]: number[], weight: Float32Array, bias: Float32Array, out: number): Float64Array {
  const [ho, wo] = [h / 2, w / 2];
  const y = new Float64Array(b * ho * wo * out);
  for (let n = 0; n < b; n++)
    for (let i = 0; i < ho; i++)
      for (let j = 0; j < wo; j++)
        for (let o = 0; o < out; o++) {
          let acc = bias[o]!;
          for (let dy = -1; dy <= 1; dy++)
            for (let dx = -1; dx <= 1; dx++) {
              const [r, q] = [2 * i + dy, 2 * j + dx];
              if (r < 0 || q < 0 || r >= h || q >= w) continue;
              const tap = (dy + 1) * 3 + (dx + 1);
              for (let ch = 0; ch < c; ch++) acc += x[((n * h + r) * w + q) * c + ch]! * weight[(tap * c + ch) * out + o]!;
            }
          y[((n * ho + i) * wo + j) * out + o] = acc;
        }
  return y;
}

/** LayerNorm (unit weight, zero bias: the init) over the last dim, then exact GELU. */
function normGelu(x: Float64Array, dim: number): Float64Array {
  return layerNormRef(x, dim).map(gelu);
}

describe('ConvStem', () => {
  it('widths double up to the last width, one convolution per halving; the last defaults to D/2', () => {
    expect(convStemWidths(64, 8)).toEqual([16, 32, 64]);
    expect(convStemWidths(64, 4)).toEqual([32, 64]);
    expect(convStemWidths(8, 2)).toEqual([8]);
    const g = new Graph();
    expect(new ConvStem(g, 'a', { inChannels: 3, dim: 128, patch: 8 }).convs.map((c) => c.cfg.outFeatures)).toEqual([16, 32, 64]);
    expect(new ConvStem(g, 'b', { inChannels: 3, dim: 128, patch: 8, width: 128 }).convs.map((c) => c.cfg.outFeatures)).toEqual([32, 64, 128]);
  });

  it('equals direct 3×3 stride-2 convolutions (+ LayerNorm, GELU) and a 1×1 projection on [2, 8, 8, 3]', async () => {
    const g = new Graph();
    const stem = new ConvStem(g, 'stem', { inChannels: 3, dim: 8, patch: 4 });
    const x = g.input('x', 'float32', ['batch', 8, 8, 3]);
    const y = stem.apply(x); // [batch, 2, 2, 8]
    expect(y.shape).toEqual(['batch', 2, 2, 8]);
    g.output('y', y);
    const params = initParams(g, 5);
    const xv = randn([2, 8, 8, 3], 6);
    const p = (k: string) => params.get(`stem.${k}`)!.data as Float32Array;
    let ref: Float64Array = Float64Array.from(xv.data);
    let shape = [2, 8, 8, 3];
    convStemWidths(4, 4).forEach((width, i) => {
      ref = normGelu(conv3x3s2(ref, shape, p(`convs.${i}.weight`), p(`convs.${i}.bias`), width), width);
      shape = [2, shape[1]! / 2, shape[2]! / 2, width];
    });
    const expected = linearRef(ref, p('proj.weight'), p('proj.bias'), 4, 8);
    const out: HostTensor = await runY(g, params, { x: xv });
    expect(out.shape).toEqual([2, 2, 2, 8]);
    expectClose(out, expected, 1e-4);
  });

  it('rejects a patch that is not a power of two and sizes it cannot halve', () => {
    expect(() => new ConvStem(new Graph(), 's', { inChannels: 3, dim: 8, patch: 6 })).toThrow(/patch 6 is not a power of two/);
    const g = new Graph();
    const stem = new ConvStem(g, 's', { inChannels: 3, dim: 8, patch: 4 });
    expect(() => stem.apply(g.input('x', 'float32', ['batch', 6, 8, 3]))).toThrow(/divisible by 4, got \[batch, 6, 8, 3\]/);
  });
});
