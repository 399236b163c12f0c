import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildTrainingGraph } from '../autodiff/training-graph.js';
import { Graph } from '../graph/graph.js';
import * as op from '../graph/ops/index.js';
import { checkpointOf, loadCheckpoint, saveCheckpoint, storeOf } from './checkpoint.js';
import { initParams } from './init-params.js';
import { TrainingSession } from './training-session.js';

const dir = mkdtempSync(join(tmpdir(), 'mixmodal-ckpt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function tinyModel() {
  const g = new Graph('tiny');
  const x = g.input('x', 'float32', [4, 3]);
  const w = g.param('layer.w', [3, 2], { kind: 'normal', std: 0.5 });
  const b = g.param('layer.b', [2], { kind: 'zeros' });
  const loss = op.reduceMean(op.square(op.tanh(op.add(op.matmul(x, w), b)))); // []
  return { g, tg: buildTrainingGraph(g, loss, { optimizer: { kind: 'adamw' } }) };
}
const batch = { x: { dtype: 'float32' as const, shape: [4, 3], data: Float32Array.from({ length: 12 }, (_, i) => Math.sin(i)) } };

describe('checkpoints', () => {
  it('resuming from a checkpoint continues bit-identically to an uninterrupted run', async () => {
    const { g, tg } = tinyModel();
    const init = initParams(g, 3);
    const straight = await TrainingSession.create(tg, init);
    const losses: number[] = [];
    for (let i = 0; i < 5; i++) losses.push((await straight.step(batch, 0.05)).loss);

    const first = await TrainingSession.create(tg, init);
    for (let i = 0; i < 3; i++) await first.step(batch, 0.05);
    const path = join(dir, 'a.safetensors');
    await saveCheckpoint(path, checkpointOf(first.store, { note: 'hi' }));
    const ck = await loadCheckpoint(path);
    expect(ck.steps).toEqual(new Map([['layer.w', 3], ['layer.b', 3]]));
    expect(ck.extra).toEqual({ note: 'hi' });
    expect([...ck.params.keys()].sort()).toEqual(['layer.b', 'layer.w']);
    expect([...ck.optimizerState.keys()].sort()).toEqual(['m:layer.b', 'm:layer.w', 'v:layer.b', 'v:layer.w']);
    const resumed = await TrainingSession.create(tg, storeOf(ck));
    const after = [(await resumed.step(batch, 0.05)).loss, (await resumed.step(batch, 0.05)).loss];
    expect(after).toEqual(losses.slice(3));
    expect(resumed.params().get('layer.w')!.data).toEqual(straight.params().get('layer.w')!.data);
  });

  it('rejects a safetensors file that is not a checkpoint', async () => {
    const path = join(dir, 'plain.safetensors');
    const header = Buffer.from('{}');
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(header.length));
    writeFileSync(path, Buffer.concat([len, header]));
    await expect(loadCheckpoint(path)).rejects.toThrow(/not a mixmodal checkpoint/);
  });
});
