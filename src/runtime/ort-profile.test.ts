import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { emitModel } from '../graph/emit-onnx.js';
import { Graph } from '../graph/graph.js';
import { hostTensor } from '../graph/host-tensor.js';
import * as op from '../graph/ops/index.js';
import { initParams } from './init-params.js';
import { summarizeProfile, type ProfileEvent } from './ort-profile.js';
import { Session } from './session.js';

const kernel = (node: string, opName: string, dur: number): ProfileEvent => ({ cat: 'Node', name: `${node}_kernel_time`, dur, args: { op_name: opName } });

describe('summarizeProfile', () => {
  it('sums kernel time by op type and by node, per run, largest first', () => {
    const events: ProfileEvent[] = [
      { cat: 'Session', name: 'model_run', dur: 3000 },
      { cat: 'Session', name: 'model_run', dur: 5000 },
      kernel('a/MatMul_1', 'MatMul', 2000),
      kernel('a/MatMul_1', 'MatMul', 2000),
      kernel('b/ReduceSum_2', 'ReduceSum', 1000),
      kernel('c/MatMul_3', 'MatMul', 1000),
      { cat: 'Node', name: 'a/MatMul_1_fence_before', dur: 9999, args: { op_name: 'MatMul' } }, // not a kernel
    ];
    const s = summarizeProfile(events, 2);
    expect(s.runs).toBe(2);
    expect(s.msPerRun).toBeCloseTo(4, 9);
    expect(s.byOp).toEqual([
      { op: 'MatMul', msPerRun: 2.5, share: 5 / 6 },
      { op: 'ReduceSum', msPerRun: 0.5, share: 1 / 6 },
    ]);
    expect(s.byNode).toEqual([
      { node: 'a/MatMul_1', op: 'MatMul', msPerRun: 2 },
      { node: 'b/ReduceSum_2', op: 'ReduceSum', msPerRun: 0.5 },
    ]);
  });

  it('reads the profile a session writes with profilePrefix: one model_run per run, the graph’s MatMul among the kernels', async () => {
    const g = new Graph('profiled');
    const x = g.input('x', 'float32', ['n', 16]);
    g.output('y', op.relu(op.matmul(x, g.param('w', [16, 8], { kind: 'normal', std: 0.1 })))); // [n, 8]
    const dir = mkdtempSync(join(tmpdir(), 'mixmodal-ort-profile-'));
    try {
      const s = await Session.create(emitModel(g, { paramValues: initParams(g, 1) }), { threads: 1, profilePrefix: join(dir, 'p') });
      const feeds = { x: hostTensor('float32', [4, 16], new Float32Array(64).fill(0.5)) };
      await s.run(feeds);
      await s.run(feeds);
      await s.release();
      const files = readdirSync(dir).filter((f) => f.startsWith('p') && f.endsWith('.json'));
      expect(files).toHaveLength(1);
      const summary = summarizeProfile(JSON.parse(readFileSync(join(dir, files[0]!), 'utf8')) as ProfileEvent[]);
      expect(summary.runs).toBe(2);
      expect(summary.byOp.map((o) => o.op)).toContain('MatMul');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
