import { beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../../graph/random.js';
import { pretokenize } from './pretokenize.js';
import { randomUnicode, tinyCorpus } from './test-corpus.js';
import { BpeTokenizer, type Merge } from './tokenizer.js';
import { trainBpe } from './train-bpe.js';
import { BOS_ID, BYTE_OFFSET, EOS_ID, MERGE_OFFSET, pairKey, PAD_ID, SEP_ID } from './vocab.js';

const corpus = tinyCorpus();
let tok: BpeTokenizer;
beforeAll(async () => {
  tok = await trainBpe(corpus, { vocabSize: 600 });
});

/** Reference encoder: merge the lowest-rank pair everywhere (left to right), repeat. */
function naiveEncode(merges: readonly Merge[], text: string): number[] {
  const ranks = new Map(merges.map((m, r) => [pairKey(m[0], m[1]), r]));
  const out: number[] = [];
  for (const chunk of pretokenize(text)) {
    let ids = Array.from(new TextEncoder().encode(chunk), (b) => b + BYTE_OFFSET);
    for (;;) {
      let best = Infinity;
      for (let i = 0; i + 1 < ids.length; i++) best = Math.min(best, ranks.get(pairKey(ids[i]!, ids[i + 1]!)) ?? Infinity);
      if (best === Infinity) break;
      const [a, b] = merges[best]!;
      const next: number[] = [];
      for (let i = 0; i < ids.length; i++) {
        if (i + 1 < ids.length && ids[i] === a && ids[i + 1] === b) {
          next.push(MERGE_OFFSET + best);
          i++;
        } else next.push(ids[i]!);
      }
      ids = next;
    }
    out.push(...ids);
  }
  return out;
}

describe('BpeTokenizer', () => {
  it('round-trips 600 random Unicode strings exactly (ASCII, accents, Chinese, emoji, combining marks, whitespace)', () => {
    const rng = new Random(42);
    const strings = ['', ...Array.from({ length: 600 }, () => randomUnicode(rng))];
    expect(strings.some((s) => /[\u4e00-\u9fff]/u.test(s))).toBe(true);
    expect(strings.some((s) => /\p{Extended_Pictographic}/u.test(s))).toBe(true);
    for (const s of strings) {
      const ids = tok.encode(s);
      expect(tok.decode(ids), JSON.stringify(s)).toBe(s);
      expect(ids.every((id) => id >= BYTE_OFFSET && id < tok.vocabSize)).toBe(true);
    }
  });

  it('round-trips edge cases: leading BOM, NUL and controls, max code point, long runs, the names of special tokens', () => {
    const cases = ['\ufeffhello', '\u0000\u0001\u007f\u0080', '\u{10FFFF}\u{1F600}', 'a'.repeat(5000), '中'.repeat(3000), '<bos> <eos>', '\r\n\t \u3000'];
    for (const s of cases) expect(tok.decode(tok.encode(s))).toBe(s);
    expect(tok.encode('<bos>')).not.toContain(BOS_ID);
  });

  it('encodes lone surrogates (not Unicode text) as U+FFFD, like TextEncoder', () => {
    expect(tok.decode(tok.encode('a\ud800b'))).toBe('a\ufffdb');
  });

  it('agrees with the naive merge-by-rank reference encoder', () => {
    const rng = new Random(5);
    const texts = [...corpus.slice(0, 50), ...Array.from({ length: 100 }, () => randomUnicode(rng)), 'aaaaaaa', '的的的的的'];
    for (const t of texts) expect(tok.encode(t)).toEqual(naiveEncode(tok.merges, t));
  });

  it('compresses its training corpus below 0.6 tokens per byte', () => {
    const bytes = corpus.reduce((s, t) => s + new TextEncoder().encode(t).length, 0);
    const tokens = corpus.reduce((s, t) => s + tok.encode(t).length, 0);
    expect(tokens / bytes).toBeLessThan(0.6);
  });

  it('has the fixed special-token layout', () => {
    expect([tok.padId, tok.bosId, tok.eosId, tok.sepId, tok.maskId]).toEqual([0, 1, 2, 3, 4]);
    expect(tok.vocabSize).toBe(MERGE_OFFSET + tok.merges.length);
    expect(tok.decode([BYTE_OFFSET + 0x41])).toBe('A');
    expect(Array.from(tok.tokenBytes(MERGE_OFFSET))).toEqual(tok.merges[0]!.map((id) => id - BYTE_OFFSET));
  });

  it('adds <bos>/<eos> and truncates to maxLen, keeping <eos>', () => {
    const plain = tok.encode('the red circle moves left');
    expect(tok.encode('the red circle moves left', { bos: true, eos: true })).toEqual([BOS_ID, ...plain, EOS_ID]);
    const cut = tok.encode('the red circle moves left', { bos: true, eos: true, maxLen: 4 });
    expect(cut).toEqual([BOS_ID, plain[0], plain[1], EOS_ID]);
    expect(tok.encode('the red circle', { maxLen: 0 })).toEqual([]);
    expect(tok.encode('', { bos: true, eos: true, maxLen: 2 })).toEqual([BOS_ID, EOS_ID]);
    expect(() => tok.encode('x', { bos: true, eos: true, maxLen: 1 })).toThrow(/maxLen must be an integer ≥ 2/);
  });

  it('renders special tokens by name unless skipSpecial', () => {
    const ids = [BOS_ID, ...tok.encode('你好 world'), SEP_ID, EOS_ID, PAD_ID];
    expect(tok.decode(ids)).toBe('<bos>你好 world<sep><eos><pad>');
    expect(tok.decode(ids, { skipSpecial: true })).toBe('你好 world');
  });

  it('decodes a cut inside a character to U+FFFD, and rejects invalid ids by name', () => {
    const ids = new BpeTokenizer([]).encode('中'); // three byte tokens
    expect(ids).toHaveLength(3);
    expect(new BpeTokenizer([]).decode(ids.slice(0, 2))).toBe('\ufffd');
    expect(() => tok.decode([5, tok.vocabSize])).toThrow(new RegExp(`token id ${tok.vocabSize} at position 1 is not in this vocabulary`));
    expect(() => tok.decode([-1])).toThrow(/token id -1 at position 0/);
    expect(() => tok.decode([1.5])).toThrow(/token id 1.5/);
  });

  it('validates merges in the constructor', () => {
    expect(() => new BpeTokenizer([[BYTE_OFFSET, MERGE_OFFSET]])).toThrow(/merges\[0\].*\[5, 261\)/);
    expect(() => new BpeTokenizer([[BOS_ID, BYTE_OFFSET]])).toThrow(/merges\[0\]/);
    expect(() => new BpeTokenizer([[10, 11], [10, 11]])).toThrow(/merges\[1\] = \[10,11\] repeats merges\[0\]/);
  });
});
