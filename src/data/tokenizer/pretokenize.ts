/**
 * Pre-tokenisation: splits text into chunks that BPE merges never cross
 * (GPT-2 / GPT-4 style, Unicode-aware). Concatenating the chunks gives the
 * text back exactly, so pre-tokenisation never loses a character.
 *
 * Alternatives, tried in order at each position:
 *   1. English contractions: 's 't 'd 'm 'll 've 're
 *   2. an optional space + a run of Han (CJK ideograph) characters
 *   3. an optional space + a run of other letters, each with its combining marks
 *   4. an optional space + 1–3 digits (numbers split into groups of three)
 *   5. an optional space + a run of punctuation / symbols / emoji (marks included),
 *      with trailing newlines
 *   6. whitespace ending in newlines
 *   7. whitespace not followed by a non-space (so " word" keeps its space)
 *   8. any other whitespace
 * Together these match every code point, so the split is exhaustive.
 * Han runs are separate from other scripts: "GPU加速" → "GPU", "加速".
 */

/** Name of this pre-tokeniser, stored in tokenizer files so a changed pattern is detected. */
export const PRETOKENIZER_NAME = 'mixmodal-v1';

const HAN = '\\p{Script=Han}';
const PATTERN = [
  "'(?:[sdmt]|ll|ve|re)",
  ` ?(?:${HAN}\\p{M}*)+`,
  ` ?(?:(?!${HAN})\\p{L}\\p{M}*)+`,
  ' ?\\p{N}{1,3}',
  ' ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*',
  '\\s*[\\r\\n]+',
  '\\s+(?!\\S)',
  '\\s+',
].join('|');

const CHUNK = new RegExp(PATTERN, 'gu');

/** The chunks of `text`, in order; `chunks.join('') === text`. */
export function pretokenize(text: string): string[] {
  const out: string[] = [];
  CHUNK.lastIndex = 0;
  let end = 0;
  for (let m = CHUNK.exec(text); m !== null; m = CHUNK.exec(text)) {
    // Unreachable with the exhaustive pattern above, but never drop text if it changes.
    if (m.index > end) out.push(text.slice(end, m.index));
    out.push(m[0]);
    end = m.index + m[0].length;
  }
  if (end < text.length) out.push(text.slice(end));
  return out;
}
