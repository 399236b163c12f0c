import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../../graph/random.js';
import { randomUnicode, tinyCorpus } from './test-corpus.js';
import type { BpeTokenizer } from './tokenizer.js';
import { loadTokenizer, saveTokenizer, tokenizerFromJson, tokenizerToJson } from './tokenizer-file.js';
import { trainBpe } from './train-bpe.js';

let dir: string;
let tok: BpeTokenizer;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mixmodal-tok-'));
  tok = await trainBpe(tinyCorpus(), { vocabSize: 500 });
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function loadText(name: string, text: string): Promise<BpeTokenizer> {
  const path = join(dir, name);
  await writeFile(path, text);
  return loadTokenizer(path);
}

describe('tokenizer file', () => {
  it('saves and loads to a tokenizer with identical encodings', async () => {
    const path = join(dir, 'tokenizer.json');
    await saveTokenizer(path, tok);
    const back = await loadTokenizer(path);
    expect(back.vocabSize).toBe(tok.vocabSize);
    expect(back.merges).toEqual(tok.merges);
    const rng = new Random(9);
    for (const s of [...tinyCorpus(50, 1), ...Array.from({ length: 100 }, () => randomUnicode(rng))]) expect(back.encode(s)).toEqual(tok.encode(s));
    const json = JSON.parse(await readFile(path, 'utf8'));
    expect(json).toEqual(tokenizerToJson(tok));
    expect(json).toMatchObject({ type: 'byte-bpe', version: 1, pretokenizer: 'mixmodal-v1', specialTokens: ['<pad>', '<bos>', '<eos>', '<sep>', '<mask>'] });
  });

  it('names the file and the problem for malformed files', async () => {
    const good = tokenizerToJson(tok);
    const bad = (patch: object) => JSON.stringify({ ...good, ...patch });
    await expect(loadText('trunc.json', '{"type": "byte-bpe", ')).rejects.toThrow(/trunc\.json: not valid JSON/);
    await expect(loadTokenizer(join(dir, 'missing.json'))).rejects.toThrow(/cannot read tokenizer file .*missing\.json/);
    await expect(loadText('arr.json', '[]')).rejects.toThrow(/arr\.json: expected a JSON object/);
    await expect(loadText('ver.json', bad({ version: 2 }))).rejects.toThrow(/ver\.json: unsupported 'version' 2/);
    await expect(loadText('type.json', bad({ type: 'wordpiece' }))).rejects.toThrow(/type\.json: 'type' must be "byte-bpe", got "wordpiece"/);
    await expect(loadText('pre.json', bad({ pretokenizer: 'gpt2' }))).rejects.toThrow(/pre\.json: unknown 'pretokenizer' "gpt2"/);
    await expect(loadText('key.json', bad({ vocab: {} }))).rejects.toThrow(/key\.json: unknown key 'vocab'/);
    await expect(loadText('sp.json', bad({ specialTokens: ['<pad>'] }))).rejects.toThrow(/sp\.json: 'specialTokens' must be/);
    await expect(loadText('vs.json', bad({ vocabSize: 7 }))).rejects.toThrow(/vs\.json: 'vocabSize' is 7 but/);
    await expect(loadText('m0.json', bad({ merges: 'x' }))).rejects.toThrow(/m0\.json: 'merges' must be an array/);
    const merges = (m: unknown[]) => bad({ merges: m, vocabSize: 261 + m.length });
    await expect(loadText('m1.json', merges([[100, 101], [5]]))).rejects.toThrow(/m1\.json: merges\[1\] must be a pair \[left, right\] of integer token ids, got \[5\]/);
    await expect(loadText('m2.json', merges([[100, 'a']]))).rejects.toThrow(/m2\.json: merges\[0\] must be a pair/);
    await expect(loadText('m3.json', merges([[100, 262]]))).rejects.toThrow(/m3\.json: merges\[0\] = \[100,262\]: ids must be integers in \[5, 261\)/);
    await expect(loadText('m4.json', merges([[1, 100]]))).rejects.toThrow(/m4\.json: merges\[0\]/);
    await expect(loadText('m5.json', merges([[100, 101], [100, 101]]))).rejects.toThrow(/m5\.json: merges\[1\] = \[100,101\] repeats merges\[0\]/);
  });

  it('builds from in-memory JSON, naming the source in errors', () => {
    expect(tokenizerFromJson(tokenizerToJson(tok)).merges).toEqual(tok.merges);
    expect(() => tokenizerFromJson(null, 'model bundle')).toThrow(/^model bundle: expected a JSON object/);
  });
});
