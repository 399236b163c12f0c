import { describe, expect, it } from 'vitest';
import { assignVariant, hashUnit, userKeyOf, variantAt } from './assignment.js';
import type { ExperimentConfig } from './experiments-file.js';

const exp: ExperimentConfig = {
  name: 'routing',
  variants: [
    { name: 'a', weight: 0.2 },
    { name: 'b', weight: 0.3 },
    { name: 'c', weight: 0.5 },
  ],
};

describe('variant assignment', () => {
  it('is sticky: the same user always gets the same variant', () => {
    for (let u = 0; u < 50; u++) {
      const first = assignVariant(exp, `user-${u}`, `req-${u}-0`);
      expect(first.sticky).toBe(true);
      for (let r = 1; r < 5; r++) expect(assignVariant(exp, `user-${u}`, `req-${u}-${r}`).variant.name).toBe(first.variant.name);
    }
  });

  it('respects the weights over many users (within 4 standard errors)', () => {
    const n = 20_000;
    const counts: Record<string, number> = { a: 0, b: 0, c: 0 };
    for (let u = 0; u < n; u++) counts[assignVariant(exp, `u${u}`, 'r').variant.name]!++;
    for (const v of exp.variants) {
      const p = v.weight;
      expect(Math.abs(counts[v.name]! / n - p)).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / n));
    }
  });

  it('weights need not sum to 1', () => {
    expect(variantAt([{ name: 'x', weight: 1 }, { name: 'y', weight: 3 }], 0.24).name).toBe('x');
    expect(variantAt([{ name: 'x', weight: 1 }, { name: 'y', weight: 3 }], 0.26).name).toBe('y');
    expect(variantAt([{ name: 'x', weight: 1 }], 0.999999).name).toBe('x');
  });

  it('hashes to [0, 1), and a different experiment reshuffles users', () => {
    const us = Array.from({ length: 1000 }, (_, i) => hashUnit('routing', `u${i}`));
    expect(Math.min(...us)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...us)).toBeLessThan(1);
    const other = Array.from({ length: 1000 }, (_, i) => hashUnit('routing-v2', `u${i}`));
    expect(us.filter((u, i) => Math.abs(u - other[i]!) < 1e-12).length).toBe(0);
  });

  it('takes the user from the body, else the X-User-Id header; without either it is by request', () => {
    expect(userKeyOf({ user: 'alice' }, { 'x-user-id': 'bob' })).toBe('alice');
    expect(userKeyOf({}, { 'X-User-Id': 'bob' })).toBe('bob');
    expect(userKeyOf({ user: 42 }, { 'x-user-id': ['carol', 'dave'] })).toBe('carol');
    expect(userKeyOf(undefined, {})).toBeUndefined();
    const anon = assignVariant(exp, undefined, 'req-1');
    expect(anon.sticky).toBe(false);
    expect(assignVariant(exp, undefined, 'req-1').variant.name).toBe(anon.variant.name);
  });
});
