import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempPathFor, writeFileAtomic } from './atomic-write.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mixmodal-atomic-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('writeFileAtomic', () => {
  it('creates a new file with exactly the given bytes and leaves no temporary file', async () => {
    const path = join(dir, 'out.bin');
    await writeFileAtomic(path, bytes('hello'));
    expect(readFileSync(path, 'utf8')).toBe('hello');
    expect(readdirSync(dir)).toEqual(['out.bin']);
  });

  it('replaces an existing file', async () => {
    const path = join(dir, 'out.bin');
    writeFileSync(path, 'old contents that are longer');
    await writeFileAtomic(path, bytes('new'));
    expect(readFileSync(path, 'utf8')).toBe('new');
    expect(readdirSync(dir)).toEqual(['out.bin']);
  });

  it('writes the complete temporary file in the same directory before renaming', async () => {
    const path = join(dir, 'out.bin');
    let seen: string | undefined;
    await writeFileAtomic(path, bytes('payload'), {
      beforeRename: (tmp) => {
        seen = tmp;
        expect(dirname(tmp)).toBe(dir);
        expect(basename(tmp)).toMatch(new RegExp(`^out\\.bin\\.tmp-${process.pid}-[0-9a-f]{12}$`));
        expect(readFileSync(tmp, 'utf8')).toBe('payload');
        expect(existsSync(path)).toBe(false);
      },
    });
    expect(seen).toBeDefined();
    expect(existsSync(seen!)).toBe(false);
    expect(readFileSync(path, 'utf8')).toBe('payload');
  });

  it('a crash between write and rename leaves the previous file intact and removes the temporary file', async () => {
    const path = join(dir, 'out.bin');
    writeFileSync(path, 'previous');
    await expect(
      writeFileAtomic(path, bytes('half-finished replacement'), {
        beforeRename: () => {
          throw new Error('simulated crash before rename');
        },
      }),
    ).rejects.toThrow(/simulated crash before rename/);
    expect(readFileSync(path, 'utf8')).toBe('previous');
    expect(readdirSync(dir)).toEqual(['out.bin']);
  });

  it('fails without creating anything when the directory does not exist', async () => {
    const path = join(dir, 'missing', 'out.bin');
    await expect(writeFileAtomic(path, bytes('x'))).rejects.toThrow(/ENOENT/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('concurrent writers to one path each produce a whole file', async () => {
    const path = join(dir, 'out.bin');
    const payloads = ['a'.repeat(1000), 'b'.repeat(2000), 'c'.repeat(3000)];
    await Promise.all(payloads.map((p) => writeFileAtomic(path, bytes(p))));
    expect(payloads).toContain(readFileSync(path, 'utf8'));
    expect(readdirSync(dir)).toEqual(['out.bin']);
  });
});

describe('tempPathFor', () => {
  it('is unique per call and sits next to the target', () => {
    const a = tempPathFor('/x/y/model.safetensors');
    const b = tempPathFor('/x/y/model.safetensors');
    expect(a).not.toBe(b);
    expect(a.startsWith(`/x/y/model.safetensors.tmp-${process.pid}-`)).toBe(true);
  });
});
