import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exportOnnx } from '../runtime/export-onnx.js';
import { Session } from '../runtime/session.js';
import { makeTwoSpirals, trainTwoSpirals } from './two-spirals.js';

const dir = mkdtempSync(join(tmpdir(), 'mixmodal-spirals-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('two spirals, trained through trace → training graph → ONNX Runtime', () => {
  it('reaches ≥ 98% training accuracy, measured by the exported model in a fresh session', async () => {
    const losses: number[] = [];
    const r = await trainTwoSpirals({ steps: 600, onStep: (_, loss) => losses.push(loss) });
    expect(losses[losses.length - 1]!).toBeLessThan(losses[0]! / 10);

    const file = join(dir, 'spirals.onnx');
    await exportOnnx(file, r.graph, r.params, { outputs: [{ name: 'logits', value: r.logits }] });
    const session = await Session.create(file);
    const data = makeTwoSpirals(200, 1); // the training set
    const { logits } = await session.run({ x: data.x });
    const z = logits!.data as Float32Array;
    let correct = 0;
    for (let i = 0; i < data.y.data.length; i++) {
      const predicted = z[2 * i + 1]! > z[2 * i]! ? 1n : 0n;
      if (predicted === data.y.data[i]) correct++;
    }
    expect(correct / data.y.data.length).toBeGreaterThanOrEqual(0.98);
    await session.release();
  });

  it('the data set is deterministic for a seed and balanced', () => {
    const a = makeTwoSpirals(50, 7);
    const b = makeTwoSpirals(50, 7);
    expect(a.x.data).toEqual(b.x.data);
    expect(makeTwoSpirals(50, 8).x.data).not.toEqual(a.x.data);
    expect([...a.y.data].filter((v) => v === 1n).length).toBe(50);
  });
});
