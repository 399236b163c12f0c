import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../cli/main.js';
import { Y4mReader } from '../media/y4m.js';
import { generateSynth, type SynthSummary } from './generate.js';
import type { Scene } from './scene.js';
import { oracleAnswer, parseImageCaption, parseVideoCaption } from './testing.js';

const root = mkdtempSync(join(tmpdir(), 'synth-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** sha256 of every file under `dir`, keyed by relative path. */
function hashes(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(relative(dir, p), createHash('sha256').update(readFileSync(p)).digest('hex'));
    }
  };
  walk(dir);
  return out;
}

const readJsonl = <T>(path: string): T[] =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as T);

const FIELDS = new Set(['id', 'split', 'text', 'image', 'audio', 'video', 'caption', 'question', 'answer']);

describe('generateSynth', () => {
  const a = join(root, 'a');
  let summary: SynthSummary;

  it('is deterministic: same seed, byte-identical files; another seed differs', async () => {
    summary = await generateSynth(a, { n: 40, seed: 5 });
    await generateSynth(join(root, 'b'), { n: 40, seed: 5 });
    await generateSynth(join(root, 'c'), { n: 40, seed: 6 });
    const ha = hashes(a);
    expect(ha.size).toBe(3 + 3 * 40);
    expect(hashes(join(root, 'b'))).toEqual(ha);
    const hc = hashes(join(root, 'c'));
    for (const f of ['manifest.jsonl', 'img/s000000.png', 'wav/s000000.wav', 'vid/s000000.y4m']) expect(hc.get(f), f).not.toBe(ha.get(f));
    // A scene depends on (seed, index) only: a shorter run writes the same media.
    await generateSynth(join(root, 'd'), { n: 5, seed: 5 });
    expect(hashes(join(root, 'd')).get('img/s000004.png')).toBe(ha.get('img/s000004.png'));
  });

  it('writes valid manifest lines whose media exist, 7 lines per scene, splits disjoint by scene', () => {
    const lines = readJsonl<Record<string, string>>(join(a, 'manifest.jsonl'));
    expect(lines).toHaveLength(40 * 7);
    expect(new Set(lines.map((l) => l.id)).size).toBe(lines.length);
    const splitOf = new Map<string, string>();
    for (const l of lines) {
      for (const k of Object.keys(l)) expect(FIELDS.has(k), k).toBe(true);
      for (const k of ['image', 'audio', 'video'] as const) if (l[k]) expect(existsSync(join(a, l[k]!)), l[k]).toBe(true);
      expect(['train', 'val', 'test']).toContain(l.split);
      const scene = l.id!.split('-')[0]!;
      expect(splitOf.get(scene) ?? l.split).toBe(l.split);
      splitOf.set(scene, l.split!);
      if (l.question) expect(l.answer).toBeTruthy();
    }
    expect([...new Set(lines.filter((l) => l.id!.startsWith('s000003')).map((l) => l.id!.slice(8)))]).toEqual(['cap', 'vcap', 'q0', 'q1', 'q2', 'a0', 'v0']);
    const scenesPer = (s: string) => [...splitOf.values()].filter((v) => v === s).length;
    expect([scenesPer('train'), scenesPer('val'), scenesPer('test')]).toEqual([32, 4, 4]);
    expect(summary.counts.scenes).toEqual({ train: 32, val: 4, test: 4 });
    expect(summary.counts.examples.train + summary.counts.examples.val + summary.counts.examples.test).toBe(lines.length);
  });

  it('with imageVideoPairs adds one image + video line per scene, the same media, no text', async () => {
    const dir = join(root, 'pairs');
    await generateSynth(dir, { n: 5, seed: 5, imageVideoPairs: true });
    const lines = readJsonl<Record<string, string>>(join(dir, 'manifest.jsonl'));
    const plain = readJsonl<Record<string, string>>(join(root, 'd', 'manifest.jsonl')); // n 5, seed 5, without pairs
    expect(lines.filter((l) => !l.id!.endsWith('-iv'))).toEqual(plain); // the other lines are unchanged
    const pairs = lines.filter((l) => l.id!.endsWith('-iv'));
    expect(pairs).toHaveLength(5);
    for (const p of pairs) {
      const scene = p.id!.slice(0, 7);
      expect(p).toEqual({ id: `${scene}-iv`, split: lines.find((l) => l.id === `${scene}-cap`)!.split, image: `img/${scene}.png`, video: `vid/${scene}.y4m` });
    }
    expect(lines.findIndex((l) => l.id === 's000002-iv')).toBe(lines.findIndex((l) => l.id === 's000002-vcap') + 1);
  });

  it('captions and answers agree with the ground truth in scenes.jsonl', () => {
    const scenes = new Map(readJsonl<Scene & { split: string }>(join(a, 'scenes.jsonl')).map((s) => [s.id, s]));
    expect(scenes.size).toBe(40);
    for (const l of readJsonl<Record<string, string>>(join(a, 'manifest.jsonl'))) {
      const [id, kind] = l.id!.split('-') as [string, string];
      const scene = scenes.get(id)!;
      expect(scene.split).toBe(l.split);
      if (kind === 'cap') expect(parseImageCaption(l.caption!)).toEqual(scene.objects.map((o) => `${o.size} ${o.colour} ${o.shape}`));
      else if (kind === 'vcap') expect(parseVideoCaption(scene, l.caption!).map((p) => p.motion)).toEqual(scene.objects.map((o) => o.motion));
      else expect(oracleAnswer(scene, l.question!), `${l.id}: ${l.question}`).toBe(l.answer);
    }
  });

  it('writes media of the requested sizes', async () => {
    const dir = join(root, 'tiny');
    const s = await generateSynth(dir, { n: 3, seed: 1, imageSize: 32, videoFrames: 4, videoSize: 24, audioSeconds: 1, sampleRate: 16000, questions: 1, val: 0, test: 0 });
    expect(s.counts.examples.train).toBe(3 * 5);
    const meta = await sharp(join(dir, 'img/s000000.png')).metadata();
    expect([meta.width, meta.height, meta.channels]).toEqual([32, 32, 3]);
    expect(readFileSync(join(dir, 'wav/s000000.wav')).length).toBe(44 + 2 * 16000);
    const v = await Y4mReader.open(join(dir, 'vid/s000000.y4m'));
    expect([v.header.width, v.header.height, v.frameCount, v.header.fps, v.header.range]).toEqual([24, 24, 4, [4, 1], 'full']);
    await v.close();
    const written = JSON.parse(readFileSync(join(dir, 'synth.json'), 'utf8')) as SynthSummary;
    expect(written.options.imageSize).toBe(32);
    expect(written.sound.pitchHz.red).toBe(262);
  });

  it('rejects bad options with errors naming them', async () => {
    await expect(generateSynth(join(root, 'x'), { n: 0 })).rejects.toThrow(/n must be an integer ≥ 1/);
    await expect(generateSynth(join(root, 'x'), { n: 2, imageSize: 4 })).rejects.toThrow(/imageSize must be an integer ≥ 8/);
    await expect(generateSynth(join(root, 'x'), { n: 2, val: 0.7, test: 0.7 })).rejects.toThrow(/val \+ test/);
  });
});

describe('mixmodal data synth', () => {
  it('writes a data set, and refuses a foreign non-empty folder or missing options', async () => {
    const err = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      const out = join(root, 'cli');
      expect(await main(['data', 'synth', '--out', out, '--n', '4', '--seed', '3', '--image-size', '32'])).toBe(0);
      expect(readFileSync(join(out, 'manifest.jsonl'), 'utf8').split('\n').filter(Boolean)).toHaveLength(28);
      expect(await main(['data', 'synth', '--out', out, '--n', '4', '--seed', '3', '--image-size', '32'])).toBe(0); // an earlier synth output may be overwritten
      const foreign = join(root, 'foreign');
      mkdirSync(foreign);
      writeFileSync(join(foreign, 'notes.txt'), 'keep me');
      expect(await main(['data', 'synth', '--out', foreign, '--n', '2'])).toBe(1);
      expect(err.mock.calls.at(-1)?.[0]).toMatch(/not empty and holds no synth.json/);
      expect(await main(['data', 'synth', '--n', '2'])).toBe(1);
      expect(err.mock.calls.at(-1)?.[0]).toMatch(/--out DIR is required/);
      expect(await main(['data', 'synth', '--out', join(root, 'y'), '--n', 'many'])).toBe(1);
      expect(err.mock.calls.at(-1)?.[0]).toMatch(/--n must be an integer/);
      expect(await main(['data', 'shuffle'])).toBe(1);
      expect(err.mock.calls.at(-1)?.[0]).toMatch(/unknown subcommand 'shuffle'/);
      expect(await main(['data', '--help'])).toBe(0);
      expect(log.mock.calls.at(-1)?.[0]).toMatch(/--video-frames/);
      expect(readFileSync(join(foreign, 'notes.txt'), 'utf8')).toBe('keep me');
    } finally {
      err.mockRestore();
      log.mockRestore();
    }
  });
});
