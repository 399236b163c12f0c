/** The `mixmodal tokenizer` command, run through the CLI entry point. */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../cli/main.js';
import { tinyCorpus } from './test-corpus.js';

let dir: string;
let log: string[];
let err: string[];
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mixmodal-tok-cli-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

async function run(...argv: string[]): Promise<number> {
  log = [];
  err = [];
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void log.push(a.join(' ')));
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true); // progress bars
  return main(argv);
}

describe('mixmodal tokenizer', () => {
  it('is listed, and --help documents train/encode/decode and the id layout', async () => {
    expect(await run('--help')).toBe(0);
    expect(log.join('\n')).toMatch(/tokenizer\s+train a byte-level BPE/);
    expect(await run('tokenizer', '--help')).toBe(0);
    const help = log.join('\n');
    for (const s of ['tokenizer train', 'tokenizer encode', 'tokenizer decode', '--vocab-size', '--min-frequency', '0 <pad>', 'Example:']) expect(help).toContain(s);
  });

  it('trains on a manifest, then encodes and decodes Chinese and English exactly', async () => {
    const manifest = join(dir, 'manifest.jsonl');
    const lines = tinyCorpus(300).map((t, i) =>
      JSON.stringify({ id: `ex${i}`, ...(i % 3 === 0 ? { caption: t } : i % 3 === 1 ? { question: t, answer: 'yes' } : { text: t, split: i % 2 ? 'train' : 'val' }) }),
    );
    await writeFile(manifest, lines.join('\n') + '\n');
    const out = join(dir, 'run');
    expect(await run('tokenizer', 'train', '--data', manifest, '--out', out, '--vocab-size', '400')).toBe(0);
    expect(log.join('\n')).toMatch(/^tokenizer: 350 texts, 139 merges, vocabulary 400, /); // 100 captions, 100 questions + 100 answers, 50 train texts
    const file = join(out, 'tokenizer.json');
    expect(JSON.parse(await readFile(file, 'utf8')).type).toBe('byte-bpe');

    const text = '三个圆向左移动 — the red circle, café 👍';
    expect(await run('tokenizer', 'encode', '--tokenizer', file, '--text', text, '--bos', '--eos')).toBe(0);
    const ids = JSON.parse(log[0]!) as number[];
    expect(ids[0]).toBe(1);
    expect(ids.at(-1)).toBe(2);
    expect(await run('tokenizer', 'decode', '--tokenizer', file, '--ids', JSON.stringify(ids), '--skip-special')).toBe(0);
    expect(log[0]).toBe(text);
  });

  it('reports clear errors', async () => {
    expect(await run('tokenizer')).toBe(1);
    expect(err.join('\n')).toMatch(/missing action/);
    expect(await run('tokenizer', 'fit')).toBe(1);
    expect(err.join('\n')).toMatch(/unknown action 'fit'/);
    expect(await run('tokenizer', 'train', '--out', dir)).toBe(1);
    expect(err.join('\n')).toMatch(/missing --data/);
    expect(await run('tokenizer', 'train', '--data', 'x.jsonl', '--out', dir, '--vocab-size', '10')).toBe(1);
    expect(err.join('\n')).toMatch(/--vocab-size must be an integer ≥ 261/);
    expect(await run('tokenizer', 'train', '--data', join(dir, 'none.jsonl'), '--out', dir)).toBe(1);
    expect(err.join('\n')).toMatch(/cannot read manifest .*none\.jsonl/);
    expect(await run('tokenizer', 'train', '--data', join(dir, 'none.jsonl'), '--out', dir, '--split', 'dev')).toBe(1);
    expect(err.join('\n')).toMatch(/--split must be one of train, val, test, got 'dev'/);
    expect(await run('tokenizer', 'decode', '--tokenizer', join(dir, 'nope.json'), '--ids', '[1]')).toBe(1);
    expect(err.join('\n')).toMatch(/cannot read tokenizer file .*nope\.json/);
  });
});
