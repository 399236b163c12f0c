import { describe, expect, it } from 'vitest';
import { parsePerStage, parseReplay, parseTaskFreeze, parseTaskWeights } from './train.js';

describe('train command options', () => {
  it('--steps takes one value for every stage or STAGE:N pairs', () => {
    expect(parsePerStage('300', 'steps', { 1: 1, 2: 2, 3: 3 }, true)).toEqual({ 1: 300, 2: 300, 3: 300 });
    expect(parsePerStage('1:300,3:900', 'steps', { 1: 1, 2: 2, 3: 3 }, true)).toEqual({ 1: 300, 2: 2, 3: 900 });
    expect(() => parsePerStage('4:10', 'steps', { 1: 1, 2: 2, 3: 3 }, true)).toThrow(/--steps: expected N or STAGE:N/);
    expect(() => parsePerStage('1.5', 'steps', { 1: 1, 2: 2, 3: 3 }, true)).toThrow(/--steps: '1.5' is not an integer/);
  });

  it('--stage3-replay N[:B] and --stage3-weights SIGNATURE=W,…', () => {
    expect(parseReplay('3:128', 32)).toEqual({ stage: 2, every: 3, batch: 128 });
    expect(parseReplay('4', 64)).toEqual({ stage: 2, every: 4, batch: 64 });
    expect(() => parseReplay('1', 64)).toThrow(/N must be ≥ 2/);
    expect(parseTaskWeights('text+image=2, video=0.5,text+video=1e0')).toEqual({ 'text+image': 2, video: 0.5, 'text+video': 1 });
    expect(() => parseTaskWeights('text+image')).toThrow(/--stage3-weights: expected SIGNATURE=W.*got 'text\+image'/);
    expect(() => parseTaskWeights('video=-1')).toThrow(/got 'video=-1'/);
    expect(() => parseTaskWeights('video', '--stage2-weights')).toThrow(/^--stage2-weights: /);
  });

  it('--task-freeze STAGE:SIGNATURE=PREFIX,…', () => {
    expect(parseTaskFreeze('2:image+video=encoders.image., heads.image.')).toEqual({ stage: 2, signature: 'image+video', prefixes: ['encoders.image.', 'heads.image.'] });
    expect(() => parseTaskFreeze('4:image+video=encoders.')).toThrow(/--task-freeze: expected STAGE:SIGNATURE=PREFIX/);
    expect(() => parseTaskFreeze('2:image+video=')).toThrow(/got '2:image\+video='/);
  });
});
