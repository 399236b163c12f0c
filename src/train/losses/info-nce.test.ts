import { describe, expect, it } from 'vitest';
import { gradients } from '../../autodiff/gradients.js';
import { emitModel } from '../../graph/emit-onnx.js';
import { Graph } from '../../graph/graph.js';
import { Session } from '../../runtime/session.js';
import { LOGIT_SCALE_MAX, symmetricInfoNce } from './info-nce.js';

/** Plain TypeScript symmetric InfoNCE for a check of the graph. */
function reference(a: number[][], b: number[][], s: number): number {
  const scale = Math.exp(Math.min(s, LOGIT_SCALE_MAX));
  const logits = a.map((r) => b.map((c) => scale * r.reduce((t, x, i) => t + x * c[i]!, 0)));
  const ce = (m: number[][]) =>
    m.reduce((t, row, i) => {
      const max = Math.max(...row);
      const lse = max + Math.log(row.reduce((q, z) => q + Math.exp(z - max), 0));
      return t + (lse - row[i]!);
    }, 0) / m.length;
  const transposed = logits[0]!.map((_, j) => logits.map((row) => row[j]!));
  return (ce(logits) + ce(transposed)) / 2;
}

const unit = (v: number[]) => {
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
};

describe('symmetric InfoNCE', () => {
  const a = [unit([1, 0.2, 0]), unit([0, 1, 0.3]), unit([0.1, 0, 1])];
  const b = [unit([0.9, 0.1, 0.1]), unit([0.2, 1, 0]), unit([0, 0.3, 1])];

  async function run(s: number) {
    const g = new Graph('nce');
    const av = g.input('a', 'float32', ['batch', 3]);
    const bv = g.input('b', 'float32', ['batch', 3]);
    const sv = g.input('s', 'float32', []);
    const loss = symmetricInfoNce(av, bv, sv);
    g.output('loss', loss);
    g.output('ds', gradients(loss, [sv])[0]!);
    const session = await Session.create(emitModel(g));
    const f = (x: number[][]) => ({ dtype: 'float32' as const, shape: [3, 3], data: Float32Array.from(x.flat()) });
    const r = await session.run({ a: f(a), b: f(b), s: { dtype: 'float32', shape: [], data: Float32Array.of(s) } });
    await session.release();
    return { loss: (r.loss!.data as Float32Array)[0]!, ds: (r.ds!.data as Float32Array)[0]! };
  }

  it('matches a TypeScript reference, and aligned pairs give a lower loss than shuffled ones', async () => {
    const { loss } = await run(Math.log(1 / 0.07));
    expect(loss).toBeCloseTo(reference(a, b, Math.log(1 / 0.07)), 4);
    expect(reference(a, b, 2)).toBeLessThan(reference(a, [b[1]!, b[2]!, b[0]!], 2));
  });

  it('clamps the logit scale at ln(100): beyond it the loss is flat and the scale gets no gradient', async () => {
    const high = await run(6);
    const higher = await run(7);
    expect(high.loss).toBeCloseTo(higher.loss, 6);
    expect(high.loss).toBeCloseTo(reference(a, b, LOGIT_SCALE_MAX), 4);
    expect(higher.ds).toBe(0);
    expect((await run(2)).ds).not.toBe(0);
  });
});
