/**
 * The tokenizer file (`tokenizer.json`, saved next to the model):
 *
 *   {
 *     "type": "byte-bpe",               // always this string
 *     "version": 1,                     // format version; others are rejected
 *     "pretokenizer": "mixmodal-v1",    // the chunking pattern (./pretokenize.ts)
 *     "specialTokens": ["<pad>", "<bos>", "<eos>", "<sep>", "<mask>"],   // ids 0..4
 *     "vocabSize": 1000,                // 5 + 256 + merges.length (checked)
 *     "merges": [[ 37, 109 ], ...]      // merge r joins two ids into id 261 + r
 *   }
 *
 * Ids 5..260 are the bytes 0x00..0xFF (see ./vocab.ts). Files are written
 * atomically; every problem found while loading names the file and the field.
 */
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../../runtime/atomic-write.js';
import { PRETOKENIZER_NAME } from './pretokenize.js';
import { BpeTokenizer, type Merge } from './tokenizer.js';
import { MERGE_OFFSET, SPECIAL_TOKENS } from './vocab.js';

export const TOKENIZER_FILE_TYPE = 'byte-bpe';
export const TOKENIZER_FILE_VERSION = 1;

/** The JSON form of a tokenizer. */
export interface TokenizerJson {
  type: typeof TOKENIZER_FILE_TYPE;
  version: typeof TOKENIZER_FILE_VERSION;
  pretokenizer: string;
  specialTokens: string[];
  vocabSize: number;
  merges: [number, number][];
}

const KEYS = ['type', 'version', 'pretokenizer', 'specialTokens', 'vocabSize', 'merges'];

export function tokenizerToJson(tok: BpeTokenizer): TokenizerJson {
  return {
    type: TOKENIZER_FILE_TYPE,
    version: TOKENIZER_FILE_VERSION,
    pretokenizer: PRETOKENIZER_NAME,
    specialTokens: [...SPECIAL_TOKENS],
    vocabSize: tok.vocabSize,
    merges: tok.merges.map((m) => [m[0], m[1]]),
  };
}

/** Builds a tokenizer from parsed JSON; `source` (e.g. the file path) prefixes every error. */
export function tokenizerFromJson(raw: unknown, source = 'tokenizer JSON'): BpeTokenizer {
  const fail = (msg: string): never => {
    throw new Error(`${source}: ${msg}`);
  };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail(`expected a JSON object, got ${Array.isArray(raw) ? 'an array' : JSON.stringify(raw)}`);
  const o = raw as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!KEYS.includes(k)) fail(`unknown key '${k}' (known keys: ${KEYS.join(', ')})`);
  if (o.type !== TOKENIZER_FILE_TYPE) fail(`'type' must be "${TOKENIZER_FILE_TYPE}", got ${JSON.stringify(o.type)}`);
  if (o.version !== TOKENIZER_FILE_VERSION) fail(`unsupported 'version' ${JSON.stringify(o.version)} (this mixmodal reads version ${TOKENIZER_FILE_VERSION})`);
  if (o.pretokenizer !== PRETOKENIZER_NAME) fail(`unknown 'pretokenizer' ${JSON.stringify(o.pretokenizer)} (this mixmodal has "${PRETOKENIZER_NAME}")`);
  if (JSON.stringify(o.specialTokens) !== JSON.stringify(SPECIAL_TOKENS)) {
    fail(`'specialTokens' must be ${JSON.stringify(SPECIAL_TOKENS)} (the fixed id layout), got ${JSON.stringify(o.specialTokens)}`);
  }
  if (!Array.isArray(o.merges)) fail(`'merges' must be an array of [left, right] id pairs, got ${JSON.stringify(o.merges)}`);
  const merges = o.merges as unknown[];
  merges.forEach((m, r) => {
    if (!Array.isArray(m) || m.length !== 2 || !m.every((x) => Number.isInteger(x))) {
      fail(`merges[${r}] must be a pair [left, right] of integer token ids, got ${JSON.stringify(m)}`);
    }
  });
  if (o.vocabSize !== MERGE_OFFSET + merges.length) {
    fail(`'vocabSize' is ${JSON.stringify(o.vocabSize)} but ${SPECIAL_TOKENS.length} special + 256 byte tokens + ${merges.length} merges make ${MERGE_OFFSET + merges.length}`);
  }
  try {
    return new BpeTokenizer(merges as Merge[]);
  } catch (e) {
    return fail((e as Error).message);
  }
}

/** Writes `tok` to `path` as JSON (atomically: readers see the old file or the whole new one). */
export async function saveTokenizer(path: string, tok: BpeTokenizer): Promise<void> {
  const j = tokenizerToJson(tok);
  // One merge per line: compact, yet diffable and greppable.
  const text = `{\n${Object.entries(j)
    .filter(([k]) => k !== 'merges')
    .map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)},\n`)
    .join('')}  "merges": [${j.merges.map((m) => `\n    ${JSON.stringify(m)}`).join(',')}${j.merges.length ? '\n  ' : ''}]\n}\n`;
  await writeFileAtomic(path, new TextEncoder().encode(text));
}

/** Reads a tokenizer file; errors name the file and the problem. */
export async function loadTokenizer(path: string): Promise<BpeTokenizer> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new Error(`cannot read tokenizer file ${path}: ${(e as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new Error(`${path}: not valid JSON (${(e as Error).message})`);
  }
  return tokenizerFromJson(raw, path);
}
