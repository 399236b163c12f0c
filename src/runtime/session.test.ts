import { describe, expect, it } from 'vitest';
import { emitModel } from '../graph/emit-onnx.js';
import { Graph } from '../graph/graph.js';
import { hostTensor } from '../graph/host-tensor.js';
import * as op from '../graph/ops/index.js';
import { Random } from '../graph/random.js';
import { initParams } from './init-params.js';
import { ortSessionOptions, Session } from './session.js';

describe('Session options', () => {
  it('spinning: false sets ONNX Runtime’s allow_spinning config keys to 0; the default leaves ORT’s own (spinning)', () => {
    expect(ortSessionOptions({ threads: 2, spinning: false })).toMatchObject({
      intraOpNumThreads: 2,
      extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
    });
    expect(ortSessionOptions({ threads: 2 }).extra).toBeUndefined();
    expect(ortSessionOptions({ threads: 2, spinning: true }).extra).toBeUndefined();
  });

  it('a 2-thread session without spinning is accepted by ONNX Runtime and computes what a 1-thread session does', async () => {
    const g = new Graph('mm');
    const x = g.input('x', 'float32', ['n', 64]);
    const w = g.param('w', [64, 64], { kind: 'normal', std: 0.1 });
    g.output('y', op.gelu(op.matmul(x, w))); // [n, 64]
    const model = emitModel(g, { paramValues: initParams(g, 3) });
    const rng = new Random(2);
    const feeds = { x: hostTensor('float32', [256, 64], Float32Array.from({ length: 256 * 64 }, () => rng.normal())) };
    const one = await Session.create(model, { threads: 1 });
    const two = await Session.create(model, { threads: 2, spinning: false });
    try {
      const a = (await one.run(feeds)).y!.data as Float32Array;
      const b = (await two.run(feeds)).y!.data as Float32Array;
      a.forEach((v, i) => expect(Math.abs(v - b[i]!)).toBeLessThanOrEqual(1e-5));
    } finally {
      await one.release();
      await two.release();
    }
  });
});
