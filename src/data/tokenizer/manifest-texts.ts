/**
 * The texts of a dataset manifest, for tokenizer training: the `text`,
 * `caption`, `question` and `answer` fields of every example of one split,
 * read with the manifest reader (../manifest.ts), which validates every line
 * and names file:line in its errors. Media files are not checked here: the
 * tokenizer only needs the text.
 */
import { readManifest, type ManifestExample, type Split } from '../manifest.js';

/** Manifest fields whose strings are training text. */
export const TEXT_FIELDS = ['text', 'caption', 'question', 'answer'] as const;

export interface ManifestTextOptions {
  /** Split to read (default 'train'; lines without `split` are 'train'). */
  split?: Split;
  /** Called every 1000 examples with the manifest line number reached. */
  onProgress?: (line: number) => void;
}

/** The text fields of `examples`, one string per present field, in manifest order. */
export async function* textsOf(examples: AsyncIterable<ManifestExample>, onProgress?: (line: number) => void): AsyncGenerator<string> {
  let n = 0;
  for await (const ex of examples) {
    if (++n % 1000 === 0) onProgress?.(ex.line);
    for (const f of TEXT_FIELDS) {
      const v = ex[f];
      if (v !== undefined) yield v;
    }
  }
}

/** Streams the texts of the manifest at `path`. */
export function readManifestTexts(path: string, o: ManifestTextOptions = {}): AsyncGenerator<string> {
  return textsOf(readManifest(path, { split: o.split ?? 'train', checkFiles: false }), o.onProgress);
}
