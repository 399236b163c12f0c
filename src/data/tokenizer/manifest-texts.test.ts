import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Split } from '../manifest.js';
import { readManifestTexts } from './manifest-texts.js';

let dir: string;
let n = 0;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mixmodal-manifest-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function collect(lines: string[], split?: Split): Promise<string[]> {
  const path = join(dir, `m${n++}.jsonl`);
  await writeFile(path, lines.join('\n'));
  const out: string[] = [];
  for await (const t of readManifestTexts(path, { split })) out.push(t);
  return out;
}

describe('readManifestTexts', () => {
  it('yields text, caption, question and answer of the split (no split = train), media not needed', async () => {
    const lines = [
      JSON.stringify({ id: '1', image: 'not-here.png', caption: 'a red circle' }),
      '',
      JSON.stringify({ id: '2', split: 'train', question: '几个圆？', answer: 'two' }),
      JSON.stringify({ id: '3', split: 'val', text: 'held out' }),
      JSON.stringify({ id: '4', text: 'plain text', caption: 'c1', answer: null }),
    ];
    expect(await collect(lines)).toEqual(['a red circle', '几个圆？', 'two', 'plain text', 'c1']);
    expect(await collect(lines, 'val')).toEqual(['held out']);
  });

  it('passes on the manifest reader errors, which name file:line', async () => {
    await expect(collect(['{"id": "a", "text": "ok"}', '{oops'])).rejects.toThrow(/m\d+\.jsonl:2: /);
    await expect(collect(['{"id": "a", "caption": 3}'])).rejects.toThrow(/m\d+\.jsonl:1: field 'caption'/);
  });
});
