import { describe, expect, it } from 'vitest';
import { Graph } from '../graph/graph.js';
import type { HostTensor } from '../graph/host-tensor.js';
import { initParam, initParams, NORMAL_TRUNCATION } from './init-params.js';

/** Std of a standard normal truncated at ±2: sqrt(1 − 2·2·φ(2) / (2Φ(2) − 1)). */
const TRUNC2_STD = 0.87962;

function stats(t: HostTensor): { mean: number; std: number; maxAbs: number } {
  const xs = t.data as Float32Array;
  let sum = 0;
  let maxAbs = 0;
  for (const x of xs) {
    sum += x;
    maxAbs = Math.max(maxAbs, Math.abs(x));
  }
  const mean = sum / xs.length;
  let ss = 0;
  for (const x of xs) ss += (x - mean) ** 2;
  return { mean, std: Math.sqrt(ss / xs.length), maxAbs };
}

function smallGraph(order: 'ab' | 'ba', extra = false): Graph {
  const g = new Graph();
  const a = () => g.withScope('enc', () => g.param('a', [3, 4], { kind: 'normal', std: 0.02 }));
  const b = () => g.withScope('dec', () => g.param('b', [5], { kind: 'uniform', bound: 0.5 }));
  if (extra) g.param('extra', [7], { kind: 'normal', std: 1 });
  if (order === 'ab') (a(), b());
  else (b(), a());
  return g;
}

describe('initParams', () => {
  it('creates a float32 tensor of the right shape for every parameter', () => {
    const g = new Graph();
    g.param('z', [2, 3], { kind: 'zeros' });
    g.param('o', [4], { kind: 'ones' });
    g.param('c', [2, 2], { kind: 'constant', value: -0.25 });
    g.param('s', [], { kind: 'constant', value: 3 });
    g.param('empty', [0, 5], { kind: 'normal', std: 1 });
    const p = initParams(g, 0);
    expect([...p.keys()]).toEqual(['z', 'o', 'c', 's', 'empty']);
    for (const t of p.values()) expect(t.dtype).toBe('float32');
    expect(p.get('z')!.shape).toEqual([2, 3]);
    expect([...p.get('z')!.data]).toEqual([0, 0, 0, 0, 0, 0]);
    expect([...p.get('o')!.data]).toEqual([1, 1, 1, 1]);
    expect([...p.get('c')!.data]).toEqual([-0.25, -0.25, -0.25, -0.25]);
    expect(p.get('s')!.shape).toEqual([]);
    expect([...p.get('s')!.data]).toEqual([3]);
    expect(p.get('empty')!.data.length).toBe(0);
  });

  it('is deterministic and differs between seeds', () => {
    const a = initParams(smallGraph('ab'), 1);
    const b = initParams(smallGraph('ab'), 1);
    const c = initParams(smallGraph('ab'), 2);
    expect([...a.get('enc.a')!.data]).toEqual([...b.get('enc.a')!.data]);
    expect([...a.get('enc.a')!.data]).not.toEqual([...c.get('enc.a')!.data]);
  });

  it('depends on (seed, path) only: creation order and other parameters do not matter', () => {
    const ref = initParams(smallGraph('ab'), 11);
    for (const g of [smallGraph('ba'), smallGraph('ab', true), smallGraph('ba', true)]) {
      const p = initParams(g, 11);
      expect([...p.get('enc.a')!.data]).toEqual([...ref.get('enc.a')!.data]);
      expect([...p.get('dec.b')!.data]).toEqual([...ref.get('dec.b')!.data]);
    }
    expect([...initParam('enc.a', [3, 4], { kind: 'normal', std: 0.02 }, 11).data]).toEqual([...ref.get('enc.a')!.data]);
  });

  it('gives parameters with the same init but different paths different values', () => {
    const g = new Graph();
    g.withScope('l0', () => g.param('w', [16], { kind: 'normal', std: 1 }));
    g.withScope('l1', () => g.param('w', [16], { kind: 'normal', std: 1 }));
    const p = initParams(g, 0);
    expect([...p.get('l0.w')!.data]).not.toEqual([...p.get('l1.w')!.data]);
  });

  it('uniform(±bound) stays within the bound and has variance bound²/3', () => {
    const bound = 1 / Math.sqrt(7);
    const t = initParam('w', [400, 250], { kind: 'uniform', bound }, 3);
    const s = stats(t);
    expect(s.maxAbs).toBeLessThanOrEqual(Math.fround(bound));
    expect(s.maxAbs).toBeGreaterThan(0.999 * bound);
    expect(Math.abs(s.mean)).toBeLessThan(0.01 * bound);
    expect(Math.abs(s.std / (bound / Math.sqrt(3)) - 1)).toBeLessThan(0.01);
  });

  it('normal(std) is truncated at ±2σ with the truncated normal std (0.88σ) and mean 0', () => {
    const std = 0.02;
    const t = initParam('w', [500, 400], { kind: 'normal', std }, 4);
    const s = stats(t);
    expect(s.maxAbs).toBeLessThanOrEqual(Math.fround(NORMAL_TRUNCATION * std));
    expect(s.maxAbs).toBeGreaterThan(0.99 * NORMAL_TRUNCATION * std); // the truncation point is reached
    expect(Math.abs(s.mean)).toBeLessThan(0.01 * std);
    // Truncation at ±2σ shrinks the std to 0.8796σ (as in PyTorch trunc_normal_ and TF truncated_normal);
    // the sample std matches that within 1%.
    expect(Math.abs(s.std / (TRUNC2_STD * std) - 1)).toBeLessThan(0.01);
  });

  it('rejects non-float32 parameters and bad init scales, naming the parameter', () => {
    const g = new Graph();
    g.withScope('m', () => g.param('h', [2], { kind: 'zeros' }, 'float16'));
    expect(() => initParams(g, 0)).toThrow(/m\.h is float16/);
    expect(() => initParam('p', [2], { kind: 'normal', std: -1 }, 0)).toThrow(/parameter p: normal init std/);
    expect(() => initParam('q', [2], { kind: 'uniform', bound: Number.NaN }, 0)).toThrow(/parameter q: uniform init bound/);
    expect(() => initParam('r', [2], { kind: 'constant', value: Infinity }, 0)).toThrow(/parameter r/);
    expect(() => initParam('u', [2], { kind: 'gaussian' } as never, 0)).toThrow(/parameter u: unknown init/);
    expect(() => initParams(new Graph(), 0.5)).toThrow(/seed/);
  });
});
