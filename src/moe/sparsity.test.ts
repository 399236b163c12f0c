import { describe, expect, it } from 'vitest';
import { emitModel } from '../graph/emit-onnx.js';
import { Graph } from '../graph/graph.js';
import { hostTensor } from '../graph/host-tensor.js';
import type { Value } from '../graph/value.js';
import { initParams } from '../runtime/init-params.js';
import { Session } from '../runtime/session.js';
import { MoeLayer } from './moe-layer.js';
import { lcg } from './testing.js';

const D = 4;
const H = 8;
const E = 4;

describe('the sparse path is sparse', () => {
  it('each expert MatMul runs on its own [C, D] slice, C = ceil(factor·N·k/E) rows, not N (counted in ONNX Runtime)', async () => {
    const g = new Graph('sparse');
    const x = g.input('x', 'float32', ['batch', 'seq', D]);
    const layer = new MoeLayer(g, 'moe', { dim: D, hidden: H, numExperts: E, topK: 1, capacityFactorEval: 1.25 });
    const out = layer.apply(x, { training: false });

    // From the traced graph: 2 MatMuls per expert, all on the capacity dim, none on the token dim.
    const expertMatMuls = g.nodes.filter((n) => n.opType === 'MatMul' && /^moe\.experts\.\d+$/.test(n.scope));
    expect(expertMatMuls).toHaveLength(2 * E);
    const capDim = expertMatMuls[0]!.inputs[0]!.shape.at(-2);
    expect(typeof capDim === 'string' && capDim.startsWith('moe.capacity')).toBe(true);
    for (const n of expertMatMuls) expect(n.inputs[0]!.shape.at(-2)).toBe(capDim);
    const tokenWide = g.nodes.filter((n) => n.opType === 'MatMul' && n.scope.startsWith('moe') && n.inputs[0]!.shape.at(-2) !== capDim);
    expect(tokenWide.map((n) => n.scope)).toEqual(['moe.router']); // only the router sees every token

    // In ONNX Runtime: fetch every expert MatMul's left operand and count its rows.
    const fetch = expertMatMuls.map((n, i) => ({ name: `lhs${i}`, value: n.inputs[0]! as Value }));
    const model = emitModel(g, { outputs: [{ name: 'y', value: out.y }, { name: 'capacity', value: out.stats.capacity }, ...fetch], paramValues: initParams(g, 3) });
    const s = await Session.create(model, { threads: 1 });
    try {
      for (const [B, T] of [
        [2, 8],
        [4, 16],
      ] as const) {
        const N = B * T;
        const r = lcg(N);
        const res = await s.run({ x: hostTensor('float32', [B, T, D], Float32Array.from({ length: N * D }, r)) });
        const C = Math.ceil((1.25 * N * 1) / E);
        expect(Number(res.capacity!.data[0])).toBe(C);
        expect(C).toBeLessThan(N);
        const rowsDone = fetch.map((f) => res[f.name]!.shape.at(-2)!);
        expect(rowsDone).toEqual(Array(2 * E).fill(C));
        fetch.forEach((f, i) => expect(res[f.name]!.shape).toEqual([1, C, i % 2 === 0 ? D : H])); // one expert's slice of the [E, C, D] buffer
        // Work: E experts × C rows ≈ factor·N·k rows per layer, against E·N for running every expert on every token.
        const expertRows = rowsDone.filter((_, i) => i % 2 === 0).reduce((a, b) => a + b, 0);
        expect(expertRows).toBe(E * C);
        expect(expertRows).toBeLessThanOrEqual(Math.ceil(1.25 * N) + E);
        expect(expertRows).toBeLessThan(E * N);
      }
    } finally {
      await s.release();
    }
  });
});
