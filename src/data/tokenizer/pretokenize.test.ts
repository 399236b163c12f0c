import { describe, expect, it } from 'vitest';
import { Random } from '../../graph/random.js';
import { pretokenize } from './pretokenize.js';
import { randomUnicode } from './test-corpus.js';

describe('pretokenize', () => {
  it('is lossless: the chunks concatenate back to the text', () => {
    const rng = new Random(3);
    for (let i = 0; i < 500; i++) {
      const s = randomUnicode(rng);
      expect(pretokenize(s).join('')).toBe(s);
    }
    expect(pretokenize('')).toEqual([]);
    expect(pretokenize('a\ud800b').join('')).toBe('a\ud800b'); // even lone surrogates
  });

  it('splits words with their leading space, contractions, and digits in threes', () => {
    expect(pretokenize("Hello world, it's 12345!")).toEqual(['Hello', ' world', ',', ' it', "'s", ' 123', '45', '!']);
  });

  it('separates Han runs from other scripts and punctuation', () => {
    expect(pretokenize('GPU加速的模型，很快。')).toEqual(['GPU', '加速的模型', '，', '很快', '。']);
  });

  it('keeps combining marks on their letter and never splits a surrogate pair', () => {
    expect(pretokenize('cafe\u0301 ok')).toEqual(['cafe\u0301', ' ok']);
    expect(pretokenize('hi 👨‍👩‍👧!')).toEqual(['hi', ' 👨‍👩‍👧!']);
  });

  it('groups whitespace and newlines', () => {
    expect(pretokenize('a  b\n\n c')).toEqual(['a', ' ', ' b', '\n\n', ' c']);
  });
});
