import { describe, expect, it } from 'vitest';
import { hostTensor } from '../graph/host-tensor.js';
import { Random } from '../graph/random.js';
import { runMoe } from './testing.js';

describe('dropless evaluation (capacityFactorEval = 0)', () => {
  it('sizes every expert buffer to the busiest expert’s load and drops nothing', async () => {
    const rng = new Random(4);
    const n = 40;
    const x = hostTensor('float32', [n, 8], Float32Array.from({ length: n * 8 }, () => rng.normal()));
    const cfg = { dim: 8, hidden: 16, numExperts: 4, topK: 2, capacityFactorEval: 0 };
    const r = await runMoe(cfg, x, { training: false });
    expect(r.droppedTokens).toBe(0);
    expect(r.tokensPerExpert.reduce((a, b) => a + b, 0)).toBe(2 * n);
    expect(r.capacity).toBe(Math.max(...r.tokensPerExpert));
    expect(r.capacity).toBeLessThan(n); // smaller than the "every token fits" bound
    // The same tokens with a generous fixed capacity give the same output.
    const fixed = await runMoe({ ...cfg, capacityFactorEval: 4 }, x, { training: false });
    expect(fixed.droppedTokens).toBe(0);
    r.y.forEach((v, i) => expect(v).toBeCloseTo(fixed.y[i]!, 5));
  });
});
