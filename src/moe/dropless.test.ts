import { describe, expect, it } from 'vitest';
import type { Graph } from '../graph/graph.js';
import { hostTensor, type HostTensor } from '../graph/host-tensor.js';
import { Random } from '../graph/random.js';
import type { MoeConfig } from './config.js';
import type { MoeLayer, RemoteExperts } from './moe-layer.js';
import { runMoe, setParam, type MoeRun, type RunMoeOptions } from './testing.js';

/** The padded dropless path ([E, C, D] buffer, C = the busiest expert's load), reached through the expert-parallel hook. */
const padded = (layer: MoeLayer): RemoteExperts => (_path, buffer) => layer.experts.apply(buffer);

/** Whether any traced value has the padded buffer's capacity dim (`<layer>.capacity_<n>`). */
const hasPaddedBuffer = (g: Graph) => g.nodes.some((n) => n.outputs.some((v) => v.shape.some((d) => typeof d === 'string' && d.startsWith('moe.capacity'))));

function randomX(rng: Random, shape: number[]): HostTensor<'float32'> {
  return hostTensor('float32', shape, Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal()));
}

function expectSameRun(compact: MoeRun, pad: MoeRun): void {
  expect(compact.yShape).toEqual(pad.yShape);
  compact.y.forEach((v, i) => {
    if (!(Math.abs(v - pad.y[i]!) <= 1e-5)) throw new Error(`y[${i}]: ${v} vs ${pad.y[i]}`);
  });
  expect(compact.tokensPerExpert).toEqual(pad.tokensPerExpert);
  expect(compact.droppedTokens).toBe(pad.droppedTokens);
  expect(compact.tokensPerModalityExpert).toEqual(pad.tokensPerModalityExpert);
  expect(compact.capacity).toBe(pad.capacity);
  expect(compact.loadBalanceLoss).toBeCloseTo(pad.loadBalanceLoss, 7);
  expect(compact.zLoss).toBeCloseTo(pad.zLoss, 7);
  compact.routerProbsMean.forEach((p, e) => expect(p).toBeCloseTo(pad.routerProbsMean[e]!, 7));
}

describe('dropless evaluation (capacityFactorEval = 0)', () => {
  it('reports the busiest expert’s load as its capacity and drops nothing', async () => {
    const rng = new Random(4);
    const n = 40;
    const x = hostTensor('float32', [n, 8], Float32Array.from({ length: n * 8 }, () => rng.normal()));
    const cfg = { dim: 8, hidden: 16, numExperts: 4, topK: 2, capacityFactorEval: 0 };
    const r = await runMoe(cfg, x, { training: false });
    expect(r.droppedTokens).toBe(0);
    expect(r.tokensPerExpert.reduce((a, b) => a + b, 0)).toBe(2 * n);
    expect(r.capacity).toBe(Math.max(...r.tokensPerExpert));
    expect(r.capacity).toBeLessThan(n); // smaller than the "every token fits" bound
    // The same tokens with a generous fixed capacity give the same output.
    const fixed = await runMoe({ ...cfg, capacityFactorEval: 4 }, x, { training: false });
    expect(fixed.droppedTokens).toBe(0);
    r.y.forEach((v, i) => expect(v).toBeCloseTo(fixed.y[i]!, 5));
  });

  it('computes each expert on its own tokens only: no padded [E, C, D] buffer unless the experts are remote (or in training)', async () => {
    const rng = new Random(1);
    const cfg = { dim: 8, hidden: 16, numExperts: 4, topK: 2, capacityFactorEval: 0, capacityFactorTrain: 0 };
    const x = randomX(rng, [6, 8]);
    expect(hasPaddedBuffer((await runMoe(cfg, x)).graph)).toBe(false);
    expect(hasPaddedBuffer((await runMoe(cfg, x, { remoteExperts: padded })).graph)).toBe(true);
    expect(hasPaddedBuffer((await runMoe(cfg, x, { training: true })).graph)).toBe(true);
    expect(hasPaddedBuffer((await runMoe({ ...cfg, capacityFactorEval: 1 }, x)).graph)).toBe(true);
  });

  describe('equals the padded dropless path (y to 1e-5, identical statistics)', () => {
    const D = 8;
    const T = 5;
    const base: MoeConfig = { dim: D, hidden: 16, numExperts: 4, topK: 2, capacityFactorEval: 0, routerBias: true, routerInitStd: 0.5 };

    async function both(cfg: MoeConfig, x: HostTensor<'float32'>, o: RunMoeOptions): Promise<[MoeRun, MoeRun]> {
      const compact = await runMoe(cfg, x, o);
      const pad = await runMoe(cfg, x, { ...o, remoteExperts: padded });
      expect(hasPaddedBuffer(compact.graph)).toBe(false);
      return [compact, pad];
    }

    for (const batch of [1, 2, 7, 32]) {
      it(`batch ${batch} × ${T} tokens with padding and modalities`, async () => {
        const rng = new Random(100 + batch);
        const n = batch * T;
        const x = randomX(rng, [batch, T, D]);
        const tokenMask = Array.from({ length: n }, (_, i) => i % T < T - (i % 3)); // 0–2 padding tokens per row
        const modalityIds = Array.from({ length: n }, (_, i) => (i % T) % 3);
        const o: RunMoeOptions = { dims: ['batch', 'seq', D], tokenMask, modalityIds, numModalities: 3, seed: 7 };
        const [compact, pad] = await both(base, x, o);
        expectSameRun(compact, pad);
        expect(compact.droppedTokens).toBe(0);
        expect(compact.tokensPerExpert.reduce((a, b) => a + b, 0)).toBe(2 * tokenMask.filter(Boolean).length);
      });
    }

    it('an expert the router never picks gets 0 rows (k = 2), and k = 1 with all tokens on one expert', async () => {
      const rng = new Random(9);
      const x = randomX(rng, [3, T, D]);
      const shun = (p: Map<string, HostTensor>) => setParam(p, 'moe.router.bias', [0, 0, -30, 0]); // expert 2 never chosen
      const [c2, p2] = await both(base, x, { dims: ['batch', 'seq', D], override: shun });
      expect(c2.tokensPerExpert[2]).toBe(0);
      expectSameRun(c2, p2);

      const all0 = (p: Map<string, HostTensor>) => setParam(p, 'moe.router.bias', [30, 0, 0, 0]); // every token → expert 0
      const [c1, p1] = await both({ ...base, topK: 1 }, x, { dims: ['batch', 'seq', D], override: all0 });
      expect(c1.tokensPerExpert).toEqual([15, 0, 0, 0]);
      expectSameRun(c1, p1);
    });

    it('a batch of padding only: every expert has 0 rows, y = 0', async () => {
      const x = randomX(new Random(3), [2, T, D]);
      const [compact, pad] = await both(base, x, { dims: ['batch', 'seq', D], tokenMask: Array(2 * T).fill(false) });
      expect(compact.tokensPerExpert).toEqual([0, 0, 0, 0]);
      expect(Array.from(compact.y)).toEqual(Array(2 * T * D).fill(0));
      expectSameRun(compact, pad);
    });
  });
});
