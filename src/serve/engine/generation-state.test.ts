import { describe, expect, it } from 'vitest';
import { GenerationState, type TokenText } from './generation-state.js';

/** ids 10.. spell single characters of `alphabet`; 2 = eos. */
const alphabet = 'abcdefghij ';
const tok: TokenText = { bosId: 1, sepId: 3, eosId: 2, padId: 0, vocabSize: 21, decode: (ids) => Array.from(ids, (i) => alphabet[i - 10] ?? '').join('') };
const ids = (s: string) => [...s].map((c) => alphabet.indexOf(c) + 10);
const params = (stop: string[] = []) => ({ maxTokens: 50, temperature: 0, topP: 1, stop });

describe('GenerationState', () => {
  it('stops at eos, at max tokens, and streams every piece once', () => {
    const pieces: string[] = [];
    const g = new GenerationState(params(), tok, 50, 3, (p) => pieces.push(p));
    for (const t of ids('abc')) expect(g.accept(t)).toBe(false);
    expect(g.accept(2)).toBe(true);
    expect(g.result()).toEqual({ text: 'abc', tokens: ids('abc'), finishReason: 'stop', promptTokens: 3 });
    expect(pieces.join('')).toBe('abc');
    const h = new GenerationState(params(), tok, 2, 0);
    h.accept(ids('a')[0]!);
    expect(h.accept(ids('b')[0]!)).toBe(true);
    expect(h.result().finishReason).toBe('length');
  });

  it('cuts at a stop string and never streams a part of it', () => {
    const pieces: string[] = [];
    const g = new GenerationState(params(['cd']), tok, 50, 0, (p) => pieces.push(p));
    const seq = ids('abce');
    expect(g.accept(seq[0]!)).toBe(false);
    expect(g.accept(seq[1]!)).toBe(false);
    expect(g.accept(seq[2]!)).toBe(false); // 'c' may begin 'cd': held back
    expect(pieces.join('')).toBe('ab');
    expect(g.accept(ids('d')[0]!)).toBe(true);
    expect(g.result().text).toBe('ab');
    expect(g.result().finishReason).toBe('stop');
    expect(pieces.join('')).toBe('ab');
  });

  it('samples with its own seeded generator (same seed, same tokens)', () => {
    const logits = Float32Array.from({ length: 20 }, (_, i) => Math.sin(i));
    const draw = (seed: number) => {
      const g = new GenerationState({ ...params(), temperature: 1, seed }, tok, 50, 0);
      return Array.from({ length: 10 }, () => g.sample(logits));
    };
    expect(draw(7)).toEqual(draw(7));
    expect(new Set([...draw(7), ...draw(8)]).size).toBeGreaterThan(1);
  });
});
