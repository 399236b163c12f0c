import { describe, expect, it } from 'vitest';
import { emitModel } from '../graph/emit-onnx.js';
import { Graph } from '../graph/graph.js';
import { hostTensor } from '../graph/host-tensor.js';
import { Session } from '../runtime/session.js';
import { expertCapacity, positionInExpert } from './capacity.js';
import { nums } from './testing.js';

describe('expertCapacity', () => {
  const cases = [
    // [factor, tokens, k, E]
    [1.25, 8, 1, 2],
    [1.25, 16, 1, 4],
    [1.0, 12, 2, 3],
    [1.1, 10, 1, 11],
    [2.0, 7, 2, 4],
    [0.5, 9, 1, 4],
    [1.25, 1, 1, 8],
    [3.0, 5, 1, 2],
  ] as const;

  it('is ceil(factor·tokens·k/E) from the runtime token count, clamped to [1, tokens]; factor 0 = unlimited', async () => {
    const g = new Graph('cap');
    const tokens = g.input('tokens', 'int64', []);
    const outputs = cases.map(([f, , k, e], i) => ({ name: `c${i}`, value: expertCapacity(tokens, { factor: f, k, numExperts: e }) }));
    outputs.push({ name: 'unlimited', value: expertCapacity(tokens, { factor: 0, k: 2, numExperts: 4 }) });
    const s = await Session.create(emitModel(g, { outputs }), { threads: 1 });
    try {
      for (const [i, [f, n, k, e]] of cases.entries()) {
        const out = await s.run({ tokens: hostTensor('int64', [], BigInt64Array.of(BigInt(n))) });
        // 1.1·10/11 is 1.0000000000000002 in floating point: the slack keeps it at 1.
        const want = Math.min(Math.max(Math.ceil(Math.round(f * n * k * 1e9 / e) / 1e9), 1), n);
        expect([f, n, k, e, nums(out[`c${i}`]!)[0]]).toEqual([f, n, k, e, want]);
        expect(nums(out.unlimited!)[0]).toBe(n);
      }
      const none = await s.run({ tokens: hostTensor('int64', [], BigInt64Array.of(0n)) });
      expect(nums(none.c0!)[0]).toBe(1); // never an empty buffer
    } finally {
      await s.release();
    }
  });
});

describe('positionInExpert', () => {
  it('numbers assignments per expert in priority order (all 1st choices, then 2nd), skipping padding', async () => {
    const g = new Graph('pos');
    const experts = g.input('experts', 'int64', ['n', 2]);
    const valid = g.input('valid', 'bool', ['n']);
    const p = positionInExpert(experts, valid, g.scalar(2, 'int64'), 3);
    const s = await Session.create(emitModel(g, { outputs: [{ name: 'pos', value: p.position }, { name: 'keep', value: p.keep }, { name: 'token', value: p.token }] }), { threads: 1 });
    try {
      // tokens: 0 → (0, 1), 1 → (0, 2), 2 (padding) → (0, 1), 3 → (1, 0)
      const out = await s.run({
        experts: hostTensor('int64', [4, 2], BigInt64Array.from([0, 1, 0, 2, 0, 1, 1, 0].map(BigInt))),
        valid: hostTensor('bool', [4], Uint8Array.of(1, 1, 0, 1)),
      });
      // A = [1st of t0..t3, 2nd of t0..t3]; experts [0,0,0,1 | 1,2,1,0]
      expect(nums(out.token!)).toEqual([0, 1, 2, 3, 0, 1, 2, 3]);
      expect(nums(out.pos!)).toEqual([0, 1, 0, 0, 1, 0, 0, 2]);
      expect(nums(out.keep!)).toEqual([1, 1, 0, 1, 1, 1, 0, 0]); // padding never kept; expert 0's 3rd assignment over C = 2
    } finally {
      await s.release();
    }
  });
});
