import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Test seams for {@link writeFileAtomic}; production callers pass nothing. */
export interface AtomicWriteOptions {
  /**
   * Called after the temporary file is fully written and fsynced, just before
   * it is renamed over the target. Throwing here simulates a crash between
   * write and rename.
   */
  beforeRename?: (tmpPath: string) => void | Promise<void>;
}

/** Name of the temporary file used while writing `path`: same directory, unique per call. */
export function tempPathFor(path: string): string {
  return `${path}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
}

/**
 * Writes `bytes` to `path` so that readers see either the old file or the
 * complete new one, never a partial write:
 *
 * 1. write to a temporary file in the same directory (same filesystem, so the
 *    rename is atomic) and fsync it;
 * 2. rename it over `path`;
 * 3. fsync the directory so the rename itself is durable (best effort: some
 *    platforms cannot open or fsync a directory).
 *
 * If anything fails before the rename, the temporary file is removed and the
 * previous `path` is left untouched.
 */
export async function writeFileAtomic(
  path: string,
  bytes: Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const tmp = tempPathFor(path);
  try {
    const fh = await open(tmp, 'wx');
    try {
      await fh.writeFile(bytes);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await options.beforeRename?.(tmp);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
  await fsyncDirectory(dirname(path));
}

/** Fsyncs a directory so a completed rename survives power loss. Errors are ignored. */
export async function fsyncDirectory(dir: string): Promise<void> {
  let fh;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch {
    // Best effort: Windows and some filesystems refuse to open/fsync directories.
  } finally {
    await fh?.close().catch(() => undefined);
  }
}
