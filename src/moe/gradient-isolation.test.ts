import { describe, expect, it } from 'vitest';
import { gradients } from '../autodiff/gradients.js';
import { buildTrainingGraph } from '../autodiff/training-graph.js';
import { emitModel } from '../graph/emit-onnx.js';
import { Graph } from '../graph/graph.js';
import { hostTensor, type HostTensor } from '../graph/host-tensor.js';
import * as op from '../graph/ops/index.js';
import { initParams } from '../runtime/init-params.js';
import { Session } from '../runtime/session.js';
import { TrainingSession } from '../runtime/training-session.js';
import { MoeLayer } from './moe-layer.js';
import { lcg, nums, setParam } from './testing.js';

const D = 4;
const H = 4;
const E = 3;
const N = 6;

/** Residual MoE block with loss mean((x + moe(x) − t)²) + aux losses; routing follows x (logit_e = 4·x_e). */
function buildModel() {
  const g = new Graph('isolation');
  const x = g.input('x', 'float32', ['batch', D]);
  const t = g.input('t', 'float32', ['batch', D]);
  const moe = new MoeLayer(g, 'moe', { dim: D, hidden: H, numExperts: E, topK: 1, normalizeTopK: false, capacityFactorTrain: 0, jitter: 0 });
  const out = moe.apply(x, { training: true });
  const d = op.sub(op.add(x, out.y), t); // [N, D]
  const loss = op.add(op.reduceMean(op.mul(d, d)), op.add(out.loadBalanceLoss, out.zLoss)); // []
  return { g, out, loss };
}

function params(g: Graph): Map<string, HostTensor> {
  const p = initParams(g, 42);
  const w = Array<number>(D * E).fill(0);
  for (let e = 0; e < E; e++) w[e * E + e] = 4; // W[e][e] = 4: feature e votes for expert e
  setParam(p, 'moe.router.weight', w);
  return p;
}

/** Tokens whose dominant feature is `experts[n]`, plus a small deterministic wobble. */
function batch(experts: number[], seed: number): Record<string, HostTensor> {
  const r = lcg(seed);
  const x = new Float32Array(N * D);
  experts.forEach((e, n) => {
    for (let d = 0; d < D; d++) x[n * D + d] = 0.1 * r() + (d === e ? 1.5 : 0);
  });
  const t = Float32Array.from({ length: N * D }, () => r());
  return { x: hostTensor('float32', [N, D], x), t: hostTensor('float32', [N, D], t) };
}

const expertPaths = (e: number) => ['w1', 'b1', 'w2', 'b2'].map((p) => `moe.experts.${e}.${p}`);
const snapshot = (m: Map<string, HostTensor>, keys: string[]) => keys.map((k) => Array.from(m.get(k)!.data as Float32Array));

describe('gradient isolation', () => {
  const step1 = batch([0, 1, 2, 0, 1, 2], 1); // every expert gets tokens
  const step2 = batch([0, 1, 0, 1, 0, 1], 2); // expert 2 gets none

  it('an expert with no tokens gets exactly zero gradient', async () => {
    const { g, loss } = buildModel();
    const p2 = expertPaths(2).map((path) => g.params.get(path)!.value);
    const grads = gradients(loss, p2);
    const outputs = grads.map((gr, i) => ({ name: `g${i}`, value: gr ?? op.zerosLike(p2[i]!) }));
    const s = await Session.create(emitModel(g, { outputs, paramValues: params(g) }), { threads: 1 });
    try {
      const idle = await s.run(step2);
      for (let i = 0; i < 4; i++) expect(nums(idle[`g${i}`]!).every((v) => v === 0)).toBe(true);
      const busy = await s.run(step1);
      expect(nums(busy.g0!).some((v) => v !== 0)).toBe(true);
    } finally {
      await s.release();
    }
  });

  it('AdamW leaves an idle expert bit-identical (parameters and m, v), after a step that gave it momentum', async () => {
    const { g, out, loss } = buildModel();
    const tg = buildTrainingGraph(g, loss, {
      optimizer: { kind: 'adamw', weightDecay: 0.1 },
      updateMasks: out.expertUpdateMasks,
      metrics: { tokensPerExpert: out.stats.tokensPerExpert },
    });
    const init = params(g);
    const s = await TrainingSession.create(tg, init, { threads: 1 });
    try {
      const all = [0, 1, 2].flatMap(expertPaths);
      const p0 = snapshot(s.params(), all);

      const r1 = await s.step(step1, 0.01);
      expect(nums(r1.metrics.tokensPerExpert!)).toEqual([2, 2, 2]);
      const p1 = snapshot(s.params(), all);
      const st1 = s.optimizerState();
      const mv = (e: number, st: Map<string, HostTensor>) => expertPaths(e).flatMap((p) => [`m:${p}`, `v:${p}`]).map((k) => Array.from(st.get(k)!.data as Float32Array));
      // Step 1 moved every expert and gave expert 2 non-zero momentum.
      for (let i = 0; i < all.length; i++) expect(p1[i]).not.toEqual(p0[i]);
      expect(mv(2, st1).flat().some((v) => v !== 0)).toBe(true);
      const router1 = Array.from(s.params().get('moe.router.weight')!.data as Float32Array);

      const r2 = await s.step(step2, 0.01);
      expect(nums(r2.metrics.tokensPerExpert!)).toEqual([3, 3, 0]);
      const p2 = snapshot(s.params(), all);
      const st2 = s.optimizerState();
      // Expert 2: parameters and AdamW state bit-identical (no weight decay, no momentum step).
      for (let i = 8; i < 12; i++) expect(p2[i]).toEqual(p1[i]);
      expect(mv(2, st2)).toEqual(mv(2, st1));
      // Experts 0 and 1 and the router moved.
      for (let i = 0; i < 8; i++) expect(p2[i]).not.toEqual(p1[i]);
      expect(mv(0, st2)).not.toEqual(mv(0, st1));
      expect(Array.from(s.params().get('moe.router.weight')!.data as Float32Array)).not.toEqual(router1);
    } finally {
      await s.release();
    }
  });

  it('control: without the update masks, AdamW moves the idle expert (momentum and weight decay)', async () => {
    const { g, loss } = buildModel();
    const s = await TrainingSession.create(buildTrainingGraph(g, loss, { optimizer: { kind: 'adamw', weightDecay: 0.1 } }), params(g), { threads: 1 });
    try {
      await s.step(step1, 0.01);
      const p1 = snapshot(s.params(), expertPaths(2));
      await s.step(step2, 0.01);
      const p2 = snapshot(s.params(), expertPaths(2));
      for (let i = 0; i < 4; i++) expect(p2[i]).not.toEqual(p1[i]);
    } finally {
      await s.release();
    }
  });
});
