import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BpeTokenizer } from '../data/tokenizer/tokenizer.js';
import { trainBpe } from '../data/tokenizer/train-bpe.js';
import { saveCheckpoint } from '../runtime/checkpoint.js';
import { saveSafetensors } from '../runtime/safetensors.js';
import { Session } from '../runtime/session.js';
import { loadModelConfig, MODEL_CONFIG_DIR } from '../model/config.js';
import { randomModelParams } from '../model/inference-graphs.js';
import { loadModelFolder, MODEL_FILES, saveModelFolder, WEIGHTS_FORMAT } from './model-folder.js';

const cfg = loadModelConfig('mm-tiny');
const rawConfig = JSON.parse(readFileSync(join(MODEL_CONFIG_DIR, 'mm-tiny.json'), 'utf8')) as Record<string, unknown>;
const root = mkdtempSync(join(tmpdir(), 'mixmodal-folder-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let tok: BpeTokenizer;
const params = randomModelParams(cfg, 5);
const dir = join(root, 'model');

beforeAll(async () => {
  tok = await trainBpe(['a red circle left of a blue square', 'how many objects are there?', 'two', 'the green triangle moves up'], { vocabSize: 290, minFrequency: 1 });
  await saveModelFolder(dir, { cfg: rawConfig, params, tokenizer: tok, exportSignatures: [['image']] });
});

/** A copy of the saved folder with `edit` applied. */
function variant(name: string, edit: (d: string) => void): string {
  const d = join(root, name);
  mkdirSync(d, { recursive: true });
  for (const f of [MODEL_FILES.config, MODEL_FILES.weights, MODEL_FILES.tokenizer]) copyFileSync(join(dir, f), join(d, f));
  edit(d);
  return d;
}

describe('model folder', () => {
  it('round-trips config, weights and tokenizer, and writes the ONNX files and a card', async () => {
    for (const f of ['config.json', 'weights.safetensors', 'tokenizer.json', 'model-card.md', 'encode.image.onnx', 'decoder-step.onnx', 'decoder-memory.onnx']) {
      expect(existsSync(join(dir, f)), f).toBe(true);
    }
    expect(readFileSync(join(dir, 'model-card.md'), 'utf8')).toMatch(/^# mm-tiny/);
    const m = await loadModelFolder(dir);
    expect(m.dir).toBe(dir);
    expect(m.rawConfig).toEqual(rawConfig);
    expect(m.cfg).toEqual(cfg);
    expect(m.weightsFile).toBe(join(dir, 'weights.safetensors'));
    expect([...m.params.keys()].sort()).toEqual([...params.keys()].sort());
    for (const [k, v] of params) {
      expect(m.params.get(k)!.shape).toEqual(v.shape);
      expect(m.params.get(k)!.data).toEqual(v.data);
    }
    expect(m.tokenizer.vocabSize).toBe(tok.vocabSize);
    expect(m.tokenizer.merges).toEqual(tok.merges);
    expect(m.tokenizer.encode('a red circle')).toEqual(tok.encode('a red circle'));
    // The ONNX graphs read their weights from weights.safetensors: small files that run in a fresh session.
    expect(statSync(join(dir, 'decoder-step.onnx')).size).toBeLessThan(200_000);
    const step = await Session.create(join(dir, 'decoder-step.onnx'));
    expect(step.inputNames).toContain('past_k.0');
    await step.release();
  });

  it('refuses to save a bad config, missing weights or a too-large tokenizer, before writing', async () => {
    const d = join(root, 'never');
    await expect(saveModelFolder(d, { cfg: { ...rawConfig, dim: 'wide' }, params, tokenizer: tok })).rejects.toThrow(/dim/);
    const fewer = new Map(params);
    fewer.delete('decoder.head.weight');
    fewer.delete([...params.keys()][0]!);
    await expect(saveModelFolder(d, { cfg: rawConfig, params: fewer, tokenizer: tok })).rejects.toThrow(/missing 2 parameter/);
    await expect(saveModelFolder(d, { cfg: { ...rawConfig, vocabSize: 270 }, params, tokenizer: tok })).rejects.toThrow(/tokenizer has 290 ids/);
    expect(existsSync(d)).toBe(false);
  });

  it('names the missing or corrupt file', async () => {
    await expect(loadModelFolder(join(root, 'nope'))).rejects.toThrow(/model folder .*nope does not exist/);
    await expect(loadModelFolder(variant('no-config', (d) => rmSync(join(d, 'config.json'))))).rejects.toThrow(/missing config\.json/);
    await expect(loadModelFolder(variant('no-tok', (d) => rmSync(join(d, 'tokenizer.json'))))).rejects.toThrow(/missing tokenizer\.json/);
    await expect(loadModelFolder(variant('no-weights', (d) => rmSync(join(d, 'weights.safetensors'))))).rejects.toThrow(/missing weights\.safetensors \(or a training run's checkpoint\.safetensors\)/);
    await expect(loadModelFolder(variant('bad-json', (d) => writeFileSync(join(d, 'config.json'), '{"name": ')))).rejects.toThrow(/config\.json: invalid JSON/);
    await expect(loadModelFolder(variant('bad-cfg', (d) => writeFileSync(join(d, 'config.json'), JSON.stringify({ ...rawConfig, heads: 3 }))))).rejects.toThrow(/config\.json: .*heads/);
    const truncated = variant('truncated', (d) => truncateSync(join(d, 'weights.safetensors'), 1000));
    await expect(loadModelFolder(truncated)).rejects.toThrow(new RegExp(`${join(truncated, 'weights.safetensors').replace(/[.+]/g, '\\$&')}`));
    const bad = variant('bad-tok', (d) => writeFileSync(join(d, 'tokenizer.json'), '{"type": "wordpiece"}'));
    await expect(loadModelFolder(bad)).rejects.toThrow(/tokenizer\.json: .*type/);
  });

  it('rejects weights of another format, a missing tensor and a wrong shape', async () => {
    const other = variant('other-format', () => undefined);
    await saveSafetensors(join(other, 'weights.safetensors'), Object.fromEntries(params), { format: 'something-else' });
    await expect(loadModelFolder(other)).rejects.toThrow(/not mixmodal weights \(metadata format = something-else/);
    const partial = variant('partial', () => undefined);
    const fewer = Object.fromEntries([...params].filter(([k]) => k !== 'decoder.head.weight'));
    await saveSafetensors(join(partial, 'weights.safetensors'), fewer, { format: WEIGHTS_FORMAT, model: 'mm-tiny' });
    await expect(loadModelFolder(partial)).rejects.toThrow(/weights\.safetensors: missing 1 parameter\(s\) of mm-tiny: decoder\.head\.weight/);
    const shaped = variant('shape', () => undefined);
    const wrong = Object.fromEntries(params);
    const [k0, t0] = [...params][0]!;
    wrong[k0] = { dtype: 'float32', shape: [t0.data.length], data: t0.data };
    await saveSafetensors(join(shaped, 'weights.safetensors'), wrong, { format: WEIGHTS_FORMAT, model: 'mm-tiny' });
    await expect(loadModelFolder(shaped)).rejects.toThrow(new RegExp(`parameter ${k0.replace(/\./g, '\\.')} has shape`));
  });

  it("loads a training run folder from checkpoint.safetensors, leaving out the optimizer state", async () => {
    const run = variant('run', (d) => rmSync(join(d, 'weights.safetensors')));
    const [k0, t0] = [...params][0]!;
    await saveCheckpoint(join(run, 'checkpoint.safetensors'), {
      params,
      optimizerState: new Map([[`m:${k0}`, t0], [`v:${k0}`, t0]]),
      steps: new Map([[k0, 3]]),
      extra: { model: 'mm-tiny' },
    });
    const m = await loadModelFolder(run);
    expect(m.weightsFile).toBe(join(run, 'checkpoint.safetensors'));
    expect([...m.params.keys()].sort()).toEqual([...params.keys()].sort());
  });
});
