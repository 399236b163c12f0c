import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { emitModel } from '../graph/emit-onnx.js';
import { Graph } from '../graph/graph.js';
import * as op from '../graph/ops/index.js';
import { LayerNorm } from '../nn/layer-norm.js';
import { Mlp } from '../nn/mlp.js';
import { exportOnnx, exportOnnxBytes } from './export-onnx.js';
import { initParams } from './init-params.js';
import { Session } from './session.js';
import { loadSafetensors, saveSafetensors } from './safetensors.js';
import { writeFile } from 'node:fs/promises';

const dir = mkdtempSync(join(tmpdir(), 'mixmodal-export-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function model() {
  const g = new Graph('block');
  const x = g.input('x', 'float32', ['batch', 'seq', 8]);
  const h = new LayerNorm(g, 'norm', { dim: 8 }).apply(x); // [B, T, 8]
  const y = op.add(x, new Mlp(g, 'mlp', { inFeatures: 8, hiddenFeatures: 16 }).apply(h)); // [B, T, 8]
  g.output('y', op.softmax(y)); // [B, T, 8]
  return g;
}

describe('ONNX export', () => {
  it('an exported model gives the traced graph’s outputs in a fresh session', async () => {
    const g = model();
    const params = initParams(g, 11);
    const x = { dtype: 'float32' as const, shape: [2, 3, 8], data: Float32Array.from({ length: 48 }, (_, i) => Math.cos(i * 0.7)) };

    const traced = await Session.create(emitModel(g)); // parameters as inputs
    const feeds: Record<string, (typeof params extends Map<string, infer T> ? T : never)> = { x };
    for (const [k, v] of params) feeds[k] = v;
    const expected = (await traced.run(feeds)).y!.data as Float32Array;

    const file = join(dir, 'block.onnx');
    await exportOnnx(file, g, params);
    const fresh = await Session.create(file);
    expect(fresh.inputNames).toEqual(['x']); // weights are inside the file
    const got = (await fresh.run({ x })).y!.data as Float32Array;
    expect(got.length).toBe(expected.length);
    for (let i = 0; i < got.length; i++) expect(got[i]).toBeCloseTo(expected[i]!, 6);
  });

  it('can read its weights from a safetensors file next to it (ONNX external data), with the same outputs', async () => {
    const g = model();
    const params = initParams(g, 11);
    const x = { dtype: 'float32' as const, shape: [1, 2, 8], data: Float32Array.from({ length: 16 }, (_, i) => Math.sin(i)) };
    const inline = await Session.create(exportOnnxBytes(g, params));
    await saveSafetensors(join(dir, 'weights.safetensors'), Object.fromEntries(params));
    const { layout } = await loadSafetensors(join(dir, 'weights.safetensors'));
    const bytes = exportOnnxBytes(g, params, { externalData: { location: 'weights.safetensors', ranges: layout } });
    expect(bytes.length).toBeLessThan(4096); // the weights are not inside
    await writeFile(join(dir, 'external.onnx'), bytes);
    const external = await Session.create(join(dir, 'external.onnx'));
    expect((await external.run({ x })).y!.data).toEqual((await inline.run({ x })).y!.data);
  });

  it('names a missing or unknown parameter', () => {
    const g = model();
    const params = initParams(g, 1);
    params.delete('mlp.fc2.bias');
    expect(() => exportOnnxBytes(g, params)).toThrow(/mlp\.fc2\.bias/);
    const extra = initParams(g, 1);
    extra.set('mlp.fc3.weight', extra.get('mlp.fc2.weight')!);
    expect(() => exportOnnxBytes(g, extra)).toThrow(/no parameter mlp\.fc3\.weight/);
  });
});
