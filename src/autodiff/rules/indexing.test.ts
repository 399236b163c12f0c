/**
 * The gather family's gradients at training sizes on 2 ONNX Runtime threads,
 * where a kernel race would show (the gradchecks in gradients.test.ts use
 * tiny inputs that run on one thread).
 */
import { describe, expect, it } from 'vitest';
import { emitModel } from '../../graph/emit-onnx.js';
import { Graph } from '../../graph/graph.js';
import * as op from '../../graph/ops/index.js';
import { Random } from '../../graph/random.js';
import { Session } from '../../runtime/session.js';
import { gradients } from '../gradients.js';

describe("Gather's gradient on 2 threads", () => {
  it.each([0, 1])('sums the rows of repeated indices exactly (axis %i)', async (axis) => {
    const [V, D, N] = [1024, 128, 5120]; // an embedding table and 40 batches' worth of token ids, ~85 hits per id
    const r = new Random(3);
    const ids = BigInt64Array.from({ length: N }, () => BigInt(Math.floor(r.nextFloat() * 60)));
    const seed = Float32Array.from({ length: N * D }, () => r.normal());
    const g = new Graph();
    const table = g.input('table', 'float32', axis === 0 ? [V, D] : [D, V]);
    const idx = g.input('ids', 'int64', [N]);
    const dy = g.input('dy', 'float32', axis === 0 ? [N, D] : [D, N]);
    const y = op.gather(table, idx, axis); // [N, D] or [D, N]
    const [dTable] = gradients(y, [table], { seed: dy });
    const s = await Session.create(emitModel(g, { outputs: [{ name: 'd', value: dTable! }] }), { threads: 2 });
    try {
      const dyData = axis === 0 ? seed : Float32Array.from({ length: N * D }, (_, j) => seed[(j % N) * D + Math.floor(j / N)]!); // dy[d, n] = seed[n, d]
      const feeds = {
        table: { dtype: 'float32' as const, shape: table.shape as number[], data: new Float32Array(V * D) },
        ids: { dtype: 'int64' as const, shape: [N], data: ids },
        dy: { dtype: 'float32' as const, shape: dy.shape as number[], data: dyData },
      };
      const want = new Float64Array(V * D); // want[v, d] = Σ_{n: ids[n] = v} seed[n, d]
      for (let n = 0; n < N; n++) for (let d = 0; d < D; d++) want[Number(ids[n]) * D + d]! += seed[n * D + d]!;
      for (let run = 0; run < 5; run++) {
        const got = (await s.run(feeds)).d!.data as Float32Array;
        let worst = 0;
        for (let v = 0; v < V; v++) for (let d = 0; d < D; d++) worst = Math.max(worst, Math.abs(got[axis === 0 ? v * D + d : d * V + v]! - want[v * D + d]!));
        expect(worst).toBeLessThan(1e-3); // ScatterND 'add' on 2 threads was off by up to 9.3 here
      }
    } finally {
      await s.release();
    }
  });
});
