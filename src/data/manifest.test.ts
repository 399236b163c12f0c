import { appendFileSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManifestError, parseManifestLine, readManifest, type ManifestExample, type ReadManifestOptions } from './manifest.js';
import { tempDir } from './media/test-fixtures.js';

let dir: string;
beforeAll(() => {
  dir = tempDir();
  for (const sub of ['img', 'wav', 'vid']) mkdirSync(path.join(dir, sub));
  for (const f of ['img/1.png', 'wav/1.wav', 'vid/1.mp4', 'img/2.png']) writeFileSync(path.join(dir, f), 'x');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

let count = 0;
/** Writes a manifest (lines joined with \n) and returns its path. */
function manifest(lines: string[], name = `m${count++}.jsonl`): string {
  const file = path.join(dir, name);
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

async function collect(file: string, o?: ReadManifestOptions): Promise<ManifestExample[]> {
  const out: ManifestExample[] = [];
  for await (const ex of readManifest(file, o)) out.push(ex);
  return out;
}

const full = {
  id: 'a1',
  split: 'val',
  text: 'a red square',
  image: 'img/1.png',
  audio: 'wav/1.wav',
  video: 'vid/1.mp4',
  caption: 'red',
  question: 'what colour?',
  answer: 'red',
};

describe('readManifest', () => {
  it('loads every field type with absolute media paths and defaults', async () => {
    const file = manifest([JSON.stringify(full), '', '   ', JSON.stringify({ id: 'b2', text: 'only text' }), JSON.stringify({ id: 'c3', image: null, split: 'test' })]);
    const exs = await collect(file);
    expect(exs).toEqual([
      { ...full, split: 'val', image: path.join(dir, 'img/1.png'), audio: path.join(dir, 'wav/1.wav'), video: path.join(dir, 'vid/1.mp4'), line: 1 },
      { id: 'b2', split: 'train', text: 'only text', line: 4 }, // blank lines count
      { id: 'c3', split: 'test', line: 5 }, // null = absent
    ]);
    const reader = readManifest(file, { split: 'val' });
    expect((await collect(file, { split: 'val' })).map((e) => e.id)).toEqual(['a1']);
    for await (const _ of reader);
    expect(reader.report()).toEqual({ lines: 3, examples: 1, skipped: 0, errors: [] });
  });

  it('accepts a UTF-8 BOM and CRLF line ends; a missing manifest is a clear error', async () => {
    const file = path.join(dir, 'bom.jsonl');
    writeFileSync(file, '\uFEFF{"id": "x", "text": "été"}\r\n{"id": "y"}\r\n');
    expect(await collect(file)).toEqual([
      { id: 'x', split: 'train', text: 'été', line: 1 },
      { id: 'y', split: 'train', line: 2 },
    ]);
    await expect(collect(path.join(dir, 'nope.jsonl'))).rejects.toThrow(/manifest .*nope\.jsonl does not exist/);
  });

  // Each bad line sits on line 3, after a good line and a blank line.
  const badLines: [string, string, string | undefined, RegExp][] = [
    ['invalid JSON', '{"id": "q", "text": "unterminated}', undefined, /invalid JSON/],
    ['not an object', '["id", "q"]', undefined, /not a JSON object \(got array\)/],
    ['missing id', '{"text": "no id"}', 'id', /missing/],
    ['empty id', '{"id": "  "}', 'id', /must not be empty/],
    ['id of the wrong type', '{"id": 7}', 'id', /must be a string, got number/],
    ['duplicate id', JSON.stringify({ id: 'good' }), 'id', /duplicate id 'good' \(first on line 1\)/],
    ['unknown field', '{"id": "q", "images": "img/1.png"}', 'images', /unknown field \(did you mean 'image'\?\)/],
    ['wrong type', '{"id": "q", "text": ["a", "b"]}', 'text', /must be a string, got array/],
    ['media of the wrong type', '{"id": "q", "audio": 3}', 'audio', /must be a file path \(string\), got number/],
    ['bad split', '{"id": "q", "split": "dev"}', 'split', /must be one of train, val, test; got 'dev'/],
    ['missing file', '{"id": "q", "image": "img/9.png"}', 'image', /file img\/9\.png does not exist/],
    ['a folder, not a file', '{"id": "q", "video": "vid"}', 'video', /vid is not a file/],
    ['a URL', '{"id": "q", "image": "https://example.com/a.png"}', 'image', /URLs are not supported/],
  ];
  it.each(badLines)('%s: an error naming the line and the field', async (_kind, bad, field, reason) => {
    const file = manifest([JSON.stringify({ id: 'good' }), '', bad, JSON.stringify({ id: 'after' })]);
    const err = await collect(file).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ManifestError);
    const me = err as ManifestError;
    expect(me.line).toBe(3);
    expect(me.field).toBe(field);
    expect(me.path).toBe(file);
    expect(me.message).toMatch(reason);
    expect(me.message.startsWith(`${file}:3: ${field ? `field '${field}': ` : ''}`)).toBe(true);
  });

  it('the message format matches the documented one', () => {
    expect(() => parseManifestLine('{"id": "q", "image": 5}', 17, 'manifest.jsonl')).toThrow("manifest.jsonl:17: field 'image': must be a file path (string), got number");
    const err = new ManifestError('manifest.jsonl', 17, 'image', 'file img/9.png does not exist');
    expect(err.message).toBe("manifest.jsonl:17: field 'image': file img/9.png does not exist");
  });

  it('skipBad skips and counts bad lines, keeps the good ones, and reports the first reasons', async () => {
    const lines = [JSON.stringify({ id: 'good' })];
    for (const [, bad] of badLines) lines.push(bad, JSON.stringify({ id: `g${lines.length}` }));
    const file = manifest(lines);
    const seen: ManifestError[] = [];
    const reader = readManifest(file, { skipBad: true, onBad: (e) => seen.push(e), keepErrors: 5 });
    const ids: string[] = [];
    for await (const ex of reader) ids.push(ex.id);
    expect(ids).toEqual(lines.filter((_, i) => i % 2 === 0).map((l) => (JSON.parse(l) as { id: string }).id));
    const r = reader.report();
    expect(r).toMatchObject({ lines: lines.length, examples: ids.length, skipped: badLines.length });
    expect(seen.map((e) => e.line)).toEqual(badLines.map((_, i) => 2 + 2 * i));
    expect(r.errors).toHaveLength(5);
    expect(reader.summary()).toMatch(new RegExp(`^skipped ${badLines.length} bad lines:\\n  .*:2: invalid JSON`));
    expect(reader.summary()).toMatch(/… and 8 more$/);
  });

  it('checkFiles: false skips the existence check but still resolves paths', async () => {
    const file = manifest([JSON.stringify({ id: 'q', image: 'img/9.png' })]);
    expect((await collect(file, { checkFiles: false }))[0].image).toBe(path.join(dir, 'img/9.png'));
  });

  it('breaking out of the loop early is fine and a second pass starts over', async () => {
    const file = manifest(Array.from({ length: 50 }, (_, i) => JSON.stringify({ id: `e${i}` })));
    const reader = readManifest(file);
    for await (const ex of reader) if (ex.line === 3) break;
    expect(reader.report().examples).toBe(3);
    expect((await collect(file)).length).toBe(50);
  });
});

/** `global.gc` even without --expose-gc (V8 flag set at run time, function taken from a fresh context). */
function getGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

describe('readManifest memory', () => {
  it('streams a 100k-line manifest with flat memory', async () => {
    const file = path.join(dir, 'big.jsonl');
    writeFileSync(file, '');
    const filler = 'lorem ipsum dolor sit amet '.repeat(7);
    for (let start = 0; start < 100_000; start += 10_000) {
      let chunk = '';
      for (let i = start; i < start + 10_000; i++) {
        chunk += JSON.stringify({ id: `ex${i}`, split: i % 10 === 0 ? 'val' : 'train', text: `${filler}${i}`, image: 'img/2.png', caption: `caption ${i}` }) + '\n';
      }
      appendFileSync(file, chunk);
    }
    const size = statSync(file).size;
    expect(size).toBeGreaterThan(25e6);

    const gc = getGc();
    /** Peak heap growth over a pass (sampled after a full GC every 10k lines), with a consumer that yields to the event loop. */
    const measure = async (o: ReadManifestOptions): Promise<{ growth: number; secs: number; n: number; reader: ReturnType<typeof readManifest> }> => {
      gc();
      const base = process.memoryUsage().heapUsed;
      let peak = 0;
      let n = 0;
      const reader = readManifest(file, o);
      const t0 = performance.now();
      for await (const ex of reader) {
        n++;
        if (n % 1000 === 0) await new Promise(setImmediate); // a consumer slower than the disk
        if (ex.line % 10_000 === 0) {
          gc();
          peak = Math.max(peak, process.memoryUsage().heapUsed - base);
        }
      }
      const secs = (performance.now() - t0) / 1000;
      gc();
      return { growth: Math.max(peak, process.memoryUsage().heapUsed - base), secs, n, reader };
    };
    const withIds = await measure({}); // checkFiles: one shared image, stat'ed per line
    const noIds = await measure({ checkDuplicateIds: false, checkFiles: false });
    const mb = (x: number): string => (x / 1e6).toFixed(1);
    console.log(
      `100k-line manifest, ${mb(size)} MB: heap growth ${mb(withIds.growth)} MB with the duplicate-id set (${withIds.secs.toFixed(2)} s), ` +
        `${mb(noIds.growth)} MB without (${noIds.secs.toFixed(2)} s)`,
    );
    expect(withIds.n).toBe(100_000);
    expect(withIds.reader.report()).toMatchObject({ lines: 100_000, examples: 100_000, skipped: 0 });
    expect(withIds.growth).toBeLessThan(30e6);
    expect(withIds.growth).toBeLessThan(size / 3);
    expect(noIds.n).toBe(100_000);
    expect(noIds.growth).toBeLessThan(5e6);
    const base = process.memoryUsage().heapUsed;

    // Control: holding the parsed data set grows the heap by more than the file size, so the bound above has teeth.
    const all = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as unknown);
    gc();
    const loaded = process.memoryUsage().heapUsed - base;
    expect(all).toHaveLength(100_000);
    console.log(`control: the same manifest parsed into memory at once: heap growth ${mb(loaded)} MB`);
    expect(loaded).toBeGreaterThan(size / 3);
  });
});
