import { describe, expect, it } from 'vitest';
import { emitModel } from '../graph/emit-onnx.js';
import { Graph } from '../graph/graph.js';
import { Session } from '../runtime/session.js';
import { hashUniform } from './hash-noise.js';

async function noise(seed: number, shape: number[]): Promise<Float32Array> {
  const g = new Graph('noise');
  const x = g.input('x', 'float32', ['n', 'd']);
  const s = g.input('seed', 'int64', []);
  g.output('u', hashUniform(x, s, 0.9, 1.1));
  const session = await Session.create(emitModel(g));
  const r = await session.run({
    x: { dtype: 'float32', shape, data: new Float32Array(shape[0]! * shape[1]!) },
    seed: { dtype: 'int64', shape: [], data: BigInt64Array.of(BigInt(seed)) },
  });
  await session.release();
  return r.u!.data as Float32Array;
}

describe('hashUniform', () => {
  it('is reproducible for a seed, differs across seeds, and is uniform in [low, high)', async () => {
    const a = await noise(7, [200, 50]);
    expect(await noise(7, [200, 50])).toEqual(a);
    const b = await noise(8, [200, 50]);
    expect(b).not.toEqual(a);
    expect(Math.min(...a)).toBeGreaterThanOrEqual(0.9);
    expect(Math.max(...a)).toBeLessThan(1.1);
    const mean = a.reduce((s, x) => s + x, 0) / a.length;
    expect(mean).toBeCloseTo(1, 2);
    const buckets = new Array(10).fill(0);
    for (const x of a) buckets[Math.min(9, Math.floor((x - 0.9) / 0.02))]++;
    for (const c of buckets) expect(Math.abs(c - a.length / 10)).toBeLessThan(a.length / 10 * 0.1); // within 10% of flat
    // neighbouring elements are not correlated
    let corr = 0;
    for (let i = 1; i < a.length; i++) corr += (a[i]! - 1) * (a[i - 1]! - 1);
    expect(Math.abs(corr / a.length / (0.2 ** 2 / 12))).toBeLessThan(0.05);
  });
});
