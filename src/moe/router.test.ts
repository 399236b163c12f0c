import { describe, expect, it } from 'vitest';
import { emitModel } from '../graph/emit-onnx.js';
import { Graph } from '../graph/graph.js';
import { hostTensor } from '../graph/host-tensor.js';
import * as op from '../graph/ops/index.js';
import { Session } from '../runtime/session.js';
import { topKRouting } from './router.js';
import { lcg, nums, runMoe } from './testing.js';

describe('RandomUniformLike (router jitter noise)', () => {
  it('has the runtime shape of its input, values in [low, high), fresh each run', async () => {
    const g = new Graph('noise');
    const x = g.input('x', 'float32', ['n', 3]);
    const u = op.randomUniformLike(x, 0.9, 1.1);
    expect(u.shape).toEqual(['n', 3]);
    const s = await Session.create(emitModel(g, { outputs: [{ name: 'u', value: u }] }), { threads: 1 });
    try {
      const feed = { x: hostTensor('float32', [50, 3], new Float32Array(150)) };
      const a = nums((await s.run(feed)).u!);
      const b = nums((await s.run(feed)).u!);
      expect(a).toHaveLength(150);
      for (const v of a) expect(v >= 0.9 && v < 1.1).toBe(true);
      expect(a).not.toEqual(b);
    } finally {
      await s.release();
    }
  });
});

describe('topKRouting', () => {
  it('renormalises the chosen k probabilities when asked, else keeps them raw', async () => {
    const g = new Graph('topk');
    const p = g.input('p', 'float32', [2, 3]);
    const norm = topKRouting(p, 2, true);
    const raw = topKRouting(p, 2, false);
    const outputs = [
      { name: 'gn', value: norm.gates },
      { name: 'gr', value: raw.gates },
      { name: 'e', value: norm.experts },
    ];
    const s = await Session.create(emitModel(g, { outputs }), { threads: 1 });
    const out = await s.run({ p: hostTensor('float32', [2, 3], Float32Array.of(0.2, 0.5, 0.3, 0.6, 0.1, 0.3)) });
    await s.release();
    expect(nums(out.e!)).toEqual([1, 2, 0, 2]);
    nums(out.gr!).forEach((v, i) => expect(v).toBeCloseTo([0.5, 0.3, 0.6, 0.3][i]!, 6));
    nums(out.gn!).forEach((v, i) => expect(v).toBeCloseTo([0.625, 0.375, 2 / 3, 1 / 3][i]!, 6));
  });
});

describe('router jitter', () => {
  const r = lcg(5);
  const x = hostTensor('float32', [8, 4], Float32Array.from({ length: 32 }, r));

  it('applies in training only, and only to the router input (experts see the clean tokens)', async () => {
    // One expert: routing cannot change, so any jitter reaching the experts would change y.
    const one = { dim: 4, hidden: 5, numExperts: 1, topK: 1, capacityFactorTrain: 0, capacityFactorEval: 0, jitter: 0.5 };
    const train = await runMoe(one, x, { training: true });
    const evalRun = await runMoe(one, x, { training: false });
    expect(Array.from(train.y)).toEqual(Array.from(evalRun.y));

    // Four experts with a large router: the training z-loss sees jittered logits, evaluation does not.
    const four = { dim: 4, hidden: 5, numExperts: 4, topK: 1, routerInitStd: 1, jitter: 0.5 };
    const e1 = await runMoe(four, x, { training: false });
    const e2 = await runMoe({ ...four, jitter: 0 }, x, { training: false });
    expect(e1.zLoss).toBe(e2.zLoss);
    const t1 = await runMoe(four, x, { training: true });
    expect(t1.zLoss).not.toBe(e1.zLoss);
  });
});
