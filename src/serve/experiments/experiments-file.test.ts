import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadModelConfig } from '../../model/config.js';
import { loadExperimentConfig, parseExperimentConfig } from './experiments-file.js';

const cfg = loadModelConfig('mm-tiny'); // 4 experts per MoE layer
const dir = mkdtempSync(join(tmpdir(), 'mixmodal-exp-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const good = {
  name: 'routing',
  variants: [
    { name: 'top2', weight: 0.5, topK: 2 },
    { name: 'top1-uniform', weight: 0.5, topK: 1, gateStrategy: 'uniform', capacityFactor: 0 },
  ],
};

describe('experiments file', () => {
  it('accepts the documented example', () => {
    expect(parseExperimentConfig(good, cfg)).toEqual(good);
  });

  it.each([
    [{ ...good, extra: 1 }, /unknown key 'extra'/],
    [{ name: '', variants: good.variants }, /'name' must be a non-empty string/],
    [{ name: 'x', variants: [] }, /'variants' must be a non-empty array/],
    [{ name: 'x', variants: [{ name: 'a', weight: 0 }] }, /variants\[0\] \('a'\): 'weight' must be > 0/],
    [{ name: 'x', variants: [{ name: 'a', weight: -1 }] }, /'weight' must be ≥ 0/],
    [{ name: 'x', variants: [{ name: 'a', weight: 1 }, { name: 'a', weight: 1 }] }, /variants\[1\] \('a'\): the name 'a' is used twice/],
    [{ name: 'x', variants: [{ name: 'a', weight: 1, topK: 5 }] }, /'topK' 5 exceeds the 4 experts per MoE layer of mm-tiny/],
    [{ name: 'x', variants: [{ name: 'a', weight: 1, topK: 1.5 }] }, /'topK' must be an integer/],
    [{ name: 'x', variants: [{ name: 'a', weight: 1, gateStrategy: 'random' }] }, /'gateStrategy' must be one of 'learned', 'uniform'/],
    [{ name: 'x', variants: [{ name: 'a', weight: 1, topk: 2 }] }, /unknown key 'topk'/],
    [{ name: 'x', variants: [{ weight: 1 }] }, /missing required key 'name'/],
  ])('rejects %j', (raw, msg) => {
    expect(() => parseExperimentConfig(raw, cfg)).toThrow(msg);
  });

  it('topK is only checked against a model when one is given', () => {
    expect(parseExperimentConfig({ name: 'x', variants: [{ name: 'a', weight: 1, topK: 8 }] }).variants[0]!.topK).toBe(8);
  });

  it('loads a file and names it in errors', async () => {
    const ok = join(dir, 'ok.json');
    writeFileSync(ok, JSON.stringify(good));
    expect((await loadExperimentConfig(ok, cfg)).name).toBe('routing');
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{ "name": ');
    await expect(loadExperimentConfig(bad)).rejects.toThrow(/bad\.json: invalid JSON/);
    await expect(loadExperimentConfig(join(dir, 'missing.json'))).rejects.toThrow(/missing\.json: no such file/);
  });
});
