/** `mixmodal tokenizer train|encode|decode`: trains a byte-level BPE on a manifest's texts, and uses it. */
import { createReadStream } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { SPLITS, type Split } from '../../data/manifest.js';
import { readManifestTexts } from '../../data/tokenizer/manifest-texts.js';
import { loadTokenizer, saveTokenizer } from '../../data/tokenizer/tokenizer-file.js';
import { trainBpe } from '../../data/tokenizer/train-bpe.js';
import { MERGE_OFFSET } from '../../data/tokenizer/vocab.js';
import { numberOption, type Command } from '../command.js';
import { ProgressBar } from '../progress.js';

type Values = Record<string, string | boolean | undefined>;

export const tokenizerCommand: Command = {
  name: 'tokenizer',
  summary: 'train a byte-level BPE tokenizer on a manifest, or encode/decode with one',
  help: `Usage:
  mixmodal tokenizer train  --data MANIFEST.jsonl --out DIR/tokenizer.json [--vocab-size N] [--min-frequency F] [--split S]
  mixmodal tokenizer encode --tokenizer FILE --text TEXT [--bos] [--eos] [--max-len N]
  mixmodal tokenizer decode --tokenizer FILE --ids "[1, 300, 2]" [--skip-special]

train   learns a byte-level BPE from the 'text', 'caption', 'question' and
        'answer' fields of the manifest lines of one split, and writes it as
        JSON (atomically). Any UTF-8 text round-trips exactly.
        Ids: 0 <pad>, 1 <bos>, 2 <eos>, 3 <sep>, 4 <mask>, 5..260 the bytes,
        261.. the merges. Set the model config's vocabSize to (at least) the
        vocabulary size printed at the end.
encode  prints the token ids of TEXT as a JSON array.
decode  prints the text of a JSON array of ids.

Options:
  --data FILE          JSON Lines manifest (train)
  --out PATH           output file; a path not ending in .json is a folder
                       and gets tokenizer.json inside (train)
  --vocab-size N       target vocabulary, special and byte tokens included,
                       ≥ ${MERGE_OFFSET} (default 1024)
  --min-frequency F    stop when no pair occurs F times (default 2)
  --split S            manifest split to read: train, val or test (default
                       train; lines without 'split' count as train)
  --tokenizer FILE     a tokenizer.json (encode, decode)
  --text TEXT          text to encode
  --bos, --eos         add <bos> / <eos> (encode)
  --max-len N          keep at most N ids, <bos>/<eos> included (encode)
  --ids JSON           ids to decode, e.g. "[1, 300, 2]"
  --skip-special       leave special tokens out of the decoded text
  -h, --help           show this help

Example:
  mixmodal tokenizer train --data data/synth/manifest.jsonl --out runs/mm-small/tokenizer.json --vocab-size 1024
  mixmodal tokenizer encode --tokenizer runs/mm-small/tokenizer.json --text "两个红色的圆 move left"`,
  options: {
    data: { type: 'string' },
    out: { type: 'string' },
    'vocab-size': { type: 'string' },
    'min-frequency': { type: 'string' },
    split: { type: 'string' },
    tokenizer: { type: 'string' },
    text: { type: 'string' },
    bos: { type: 'boolean' },
    eos: { type: 'boolean' },
    'max-len': { type: 'string' },
    ids: { type: 'string' },
    'skip-special': { type: 'boolean' },
  },
  async run({ values, positionals }) {
    const [action, ...extra] = positionals;
    if (extra.length > 0) throw new Error(`unexpected argument '${extra[0]}'`);
    switch (action) {
      case 'train':
        return train(values);
      case 'encode':
        return encode(values);
      case 'decode':
        return decode(values);
      case undefined:
        throw new Error("missing action: one of 'train', 'encode', 'decode' (see --help)");
      default:
        throw new Error(`unknown action '${action}': expected 'train', 'encode' or 'decode'`);
    }
  },
};

function required(values: Values, name: string): string {
  const v = values[name];
  if (typeof v !== 'string' || v === '') throw new Error(`missing --${name}`);
  return v;
}

async function train(values: Values): Promise<number> {
  const data = required(values, 'data');
  const outOpt = required(values, 'out');
  const out = outOpt.endsWith('.json') ? outOpt : join(outOpt, 'tokenizer.json');
  const vocabSize = numberOption(values, 'vocab-size', 1024, { min: MERGE_OFFSET, integer: true });
  const minFrequency = numberOption(values, 'min-frequency', 2, { min: 1, integer: true });
  const split = (values.split as string | undefined) ?? 'train';
  if (!SPLITS.includes(split as Split)) throw new Error(`--split must be one of ${SPLITS.join(', ')}, got '${split}'`);
  const t0 = performance.now();

  const lines = await countLines(data);
  const readBar = new ProgressBar('read lines', Math.max(1, lines));
  let texts = 0;
  const manifestTexts = readManifestTexts(data, { split: split as Split, onProgress: (line) => readBar.update(Math.min(line, lines - 1), { texts }) });
  async function* source(): AsyncGenerator<string> {
    for await (const t of manifestTexts) {
      texts++;
      yield t;
    }
    readBar.update(Math.max(1, lines), { texts });
    readBar.finish();
  }
  let mergeBar: ProgressBar | undefined;
  const tok = await trainBpe(source(), { vocabSize, minFrequency }, {
    onMerge: (done, target, frequency) => {
      mergeBar ??= new ProgressBar('merges', target);
      mergeBar.update(done, { freq: frequency });
    },
  });
  mergeBar?.finish();
  if (texts === 0) throw new Error(`${data}: no texts in split '${split}' (fields text, caption, question, answer)`);

  await mkdir(dirname(out), { recursive: true });
  await saveTokenizer(out, tok);
  const seconds = (performance.now() - t0) / 1000;
  const merges = tok.vocabSize - MERGE_OFFSET;
  const stopped = tok.vocabSize < vocabSize ? ` (stopped early: no pair occurs ${minFrequency}+ times)` : '';
  console.log(`tokenizer: ${texts} texts, ${merges} merges, vocabulary ${tok.vocabSize}${stopped}, ${seconds.toFixed(2)} s`);
  console.log(`wrote ${out}`);
  return 0;
}

/** Lines of a file (for the progress bar's total), counted on raw bytes. */
async function countLines(path: string): Promise<number> {
  try {
    if (!(await stat(path)).isFile()) throw new Error('not a file');
  } catch (e) {
    throw new Error(`cannot read manifest ${path}: ${(e as Error).message}`);
  }
  let n = 0;
  let last = 10;
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) n++;
    if (chunk.length > 0) last = chunk[chunk.length - 1]!;
  }
  return last === 10 ? n : n + 1;
}

async function encode(values: Values): Promise<number> {
  const tok = await loadTokenizer(required(values, 'tokenizer'));
  const text = values.text;
  if (typeof text !== 'string') throw new Error('missing --text');
  const maxLen = values['max-len'] === undefined ? undefined : numberOption(values, 'max-len', 0, { min: 0, integer: true });
  console.log(JSON.stringify(tok.encode(text, { bos: values.bos === true, eos: values.eos === true, maxLen })));
  return 0;
}

async function decode(values: Values): Promise<number> {
  const tok = await loadTokenizer(required(values, 'tokenizer'));
  const raw = required(values, 'ids');
  let ids: unknown;
  try {
    ids = JSON.parse(raw);
  } catch {
    throw new Error(`--ids must be a JSON array of integers, e.g. "[1, 300, 2]", got '${raw}'`);
  }
  if (!Array.isArray(ids) || !ids.every((x) => Number.isInteger(x))) throw new Error(`--ids must be a JSON array of integers, got '${raw}'`);
  console.log(tok.decode(ids as number[], { skipSpecial: values['skip-special'] === true }));
  return 0;
}
