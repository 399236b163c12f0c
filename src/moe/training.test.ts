import { describe, expect, it } from 'vitest';
import { buildTrainingGraph } from '../autodiff/training-graph.js';
import { Graph } from '../graph/graph.js';
import { hostTensor } from '../graph/host-tensor.js';
import * as op from '../graph/ops/index.js';
import { initParams } from '../runtime/init-params.js';
import { TrainingSession } from '../runtime/training-session.js';
import { MoeLayer } from './moe-layer.js';
import { lcg, nums } from './testing.js';

describe('MoE training end to end', () => {
  it('trains a residual MoE block with jitter, k = 2, capacity drops, padding and modality stats', async () => {
    const [B, T, D] = [4, 8, 6];
    const g = new Graph('moe_train');
    const x = g.input('x', 'float32', ['batch', 'seq', D]);
    const t = g.input('t', 'float32', ['batch', 'seq', D]);
    const mask = g.input('mask', 'bool', ['batch', 'seq']);
    const modality = g.input('modality', 'int64', ['batch', 'seq']);
    const moe = new MoeLayer(g, 'moe', { dim: D, hidden: 12, numExperts: 4, topK: 2, jitter: 0.05 });
    const out = moe.apply(x, { training: true, tokenMask: mask, modalityIds: modality, numModalities: 2 });
    const w = op.unsqueeze(op.cast(mask, 'float32'), [2]); // [B, T, 1]
    const d = op.mul(op.sub(op.add(x, out.y), t), w); // [B, T, D]
    const mse = op.div(op.reduceSum(op.mul(d, d)), op.mul(op.reduceSum(w), D)); // []
    const loss = op.add(mse, op.add(out.loadBalanceLoss, out.zLoss)); // []
    const tg = buildTrainingGraph(g, loss, {
      optimizer: { kind: 'adamw', weightDecay: 0.01 },
      updateMasks: out.expertUpdateMasks,
      metrics: { mse, dropped: out.stats.droppedTokens, tpme: out.stats.tokensPerModalityExpert!, tpe: out.stats.tokensPerExpert },
    });
    const s = await TrainingSession.create(tg, initParams(g, 7), { threads: 1 });
    // Target: a fixed nonlinear map per modality (modality = sign of the first feature).
    const r = lcg(3);
    const xs = Float32Array.from({ length: B * T * D }, () => r());
    const mod = BigInt64Array.from({ length: B * T }, (_, n) => (xs[n * D]! > 0 ? 1n : 0n));
    const ts = xs.map((v, i) => v + (mod[Math.floor(i / D)] === 1n ? Math.tanh(2 * v) : -0.5 * v * v));
    const valid = Uint8Array.from({ length: B * T }, (_, n) => (n % T < T - 1 - (Math.floor(n / T) % 3) ? 1 : 0));
    const batch = {
      x: hostTensor('float32', [B, T, D], xs),
      t: hostTensor('float32', [B, T, D], ts),
      mask: hostTensor('bool', [B, T], valid),
      modality: hostTensor('int64', [B, T], mod),
    };
    const real = valid.reduce((a, b) => a + b, 0);
    try {
      const first = await s.step(batch, 0.02);
      let last = first;
      for (let i = 0; i < 60; i++) last = await s.step(batch, 0.02);
      const mse0 = nums(first.metrics.mse!)[0]!;
      const mse1 = nums(last.metrics.mse!)[0]!;
      expect(Number.isFinite(last.loss)).toBe(true);
      expect(mse1).toBeLessThan(0.5 * mse0);
      const kept = nums(last.metrics.tpe!).reduce((a, b) => a + b, 0);
      expect(nums(last.metrics.tpme!).reduce((a, b) => a + b, 0)).toBe(kept);
      expect(kept + nums(last.metrics.dropped!)[0]!).toBe(2 * real);
    } finally {
      await s.release();
    }
  });
});
