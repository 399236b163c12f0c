/**
 * In-memory media (an upload) handed to ffmpeg, which wants a file: the bytes
 * go to a private temporary directory that is removed afterwards, and the
 * temporary path in any error message is replaced by `name`.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** Writes `bytes` to a temporary `media.EXT`, runs `fn` on its path, removes it. */
export async function withTempFile<T>(bytes: Uint8Array, ext: string, name: string, fn: (file: string) => Promise<T>): Promise<T> {
  if (!/^[a-z0-9]{1,10}$/i.test(ext)) throw new Error(`bad media extension '${ext}' for ${name}`);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mixmodal-media-'));
  const file = path.join(dir, `media.${ext}`);
  try {
    await writeFile(file, bytes);
    return await fn(file);
  } catch (e) {
    const err = e as Error;
    if (typeof err.message === 'string' && err.message.includes(file)) err.message = err.message.split(file).join(name);
    throw err;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
