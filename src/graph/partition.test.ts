import { describe, expect, it } from 'vitest';
import { Session } from '../runtime/session.js';
import { emitModel } from './emit-onnx.js';
import { Graph } from './graph.js';
import type { HostTensor } from './host-tensor.js';
import * as op from './ops/index.js';
import { partitionGraph, valueLevels } from './partition.js';
import type { Value } from './value.js';

/** The "remote" function: 2·t + 1, in the graph (reference) and in TS (what a remote host would do). */
const remoteInGraph = (v: Value) => op.add(op.mul(v, 2), 1);
const remoteInTs = (t: HostTensor): HostTensor => ({ ...t, data: (t.data as Float32Array).map((x) => 2 * x + 1) });

/**
 * x [N, 4] → a = x·W; cut 0 = relu(a); b = r0 + a (a is carried past cut 0);
 * cut 1 = b·x; y = r1 + b + tanh(x) (x and tanh(x) read by segment 2); early = tanh(x) (segment 0).
 */
function build(split: boolean): Graph {
  const g = new Graph(split ? 'split' : 'reference');
  const x = g.input('x', 'float32', ['N', 4]);
  const w = g.constant({ dtype: 'float32', shape: [4, 4], data: Float32Array.from({ length: 16 }, (_, i) => ((i * 7) % 5) / 5 - 0.4) });
  const remote = (v: Value, l: number): Value => {
    if (!split) return remoteInGraph(v);
    g.output(`cut.${l}`, v);
    return g.input(`back.${l}`, v.dtype, v.shape);
  };
  const a = op.matmul(x, w); // [N, 4]
  const r0 = remote(op.relu(a), 0); // [N, 4]
  const b = op.add(r0, a); // [N, 4]
  const r1 = remote(op.mul(b, x), 1); // [N, 4]
  const early = op.tanh(x); // [N, 4]
  g.output('y', op.add(op.add(r1, b), early));
  g.output('early', early);
  g.output('b_sum', op.reduceSum(b));
  return g;
}

const cuts = [
  { output: 'cut.0', placeholder: 'back.0' },
  { output: 'cut.1', placeholder: 'back.1' },
];

describe('partitionGraph', () => {
  it('assigns levels by the placeholders a node depends on', () => {
    const g = build(true);
    const { levelOf } = valueLevels(g, cuts);
    const out = Object.fromEntries(g.outputs.map((o) => [o.name, levelOf(o.value)]));
    expect(out).toEqual({ 'cut.0': 0, 'cut.1': 1, y: 2, early: 0, b_sum: 1 });
  });

  it('three segments with carries give the unpartitioned graph’s outputs', async () => {
    const g = build(true);
    const p = partitionGraph(g, cuts);
    expect(p.segments).toHaveLength(3);
    expect(p.finalOutputs).toEqual(['y', 'early', 'b_sum']);
    expect(p.segments[0]!.outputs).toEqual(expect.arrayContaining(['cut.0', 'early']));
    expect(p.segments[1]!.inputs).toContain('back.0');
    expect(p.segments[2]!.inputs).toContain('back.1');
    expect(p.segments[1]!.inputs).toContain('x'); // original inputs go straight to the segments that read them
    for (const s of p.segments.slice(1)) expect(s.inputs.some((n) => n.includes(':'))).toBe(true); // carried values

    const x: HostTensor = { dtype: 'float32', shape: [3, 4], data: Float32Array.from({ length: 12 }, (_, i) => Math.sin(i) * 1.5) };
    const env: Record<string, HostTensor> = { x };
    for (const seg of p.segments) {
      const s = await Session.create(seg.bytes, { threads: 1 });
      expect(s.inputNames.slice().sort()).toEqual(seg.inputs.slice().sort());
      Object.assign(env, await s.run(env));
      await s.release();
      const cut = p.cuts[seg.index];
      if (cut) env[cut.placeholder] = remoteInTs(env[cut.output]!);
    }
    const ref = await Session.create(emitModel(build(false)), { threads: 1 });
    const expected = await ref.run({ x });
    await ref.release();
    for (const name of p.finalOutputs) {
      expect(env[name]!.shape).toEqual(expected[name]!.shape);
      Array.from(env[name]!.data as Float32Array).forEach((v, i) => expect(v).toBeCloseTo((expected[name]!.data as Float32Array)[i]!, 5));
    }
  });

  it('rejects a cut that depends on its own result and an unknown output', () => {
    const g = build(true);
    expect(() => partitionGraph(g, [cuts[1]!, cuts[0]!])).toThrow(/depends on the result of cut/);
    expect(() => partitionGraph(g, [{ output: 'nope', placeholder: 'back.0' }])).toThrow(/not a graph output/);
  });
});
