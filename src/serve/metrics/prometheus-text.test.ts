import { describe, expect, it } from 'vitest';
import { parsePrometheusText } from './prometheus-text.js';

describe('parsePrometheusText', () => {
  it('reads families, labels (with escapes) and special values', () => {
    const f = parsePrometheusText(
      ['# HELP x_total Things.', '# TYPE x_total counter', 'x_total{a="1",b="q\\"uote"} 3', '# TYPE h histogram', 'h_bucket{le="+Inf"} 2', 'h_sum 0.5', 'h_count 2', 'g NaN', ''].join('\n'),
    );
    expect(f.get('x_total')).toMatchObject({ type: 'counter', help: 'Things.', samples: [{ labels: { a: '1', b: 'q"uote' }, value: 3 }] });
    expect(f.get('h')!.samples.map((s) => s.name)).toEqual(['h_bucket', 'h_sum', 'h_count']);
    expect(Number.isNaN(f.get('g')!.samples[0]!.value)).toBe(true);
  });

  it('rejects malformed lines, naming them', () => {
    expect(() => parsePrometheusText('x{a=1} 3')).toThrow(/line 1 'x\{a=1\} 3': not a valid sample line/);
    expect(() => parsePrometheusText('x 3 4 5')).toThrow(/not a valid sample line/);
    expect(() => parsePrometheusText('x abc')).toThrow(/bad sample value/);
    expect(() => parsePrometheusText('# TYPE x countr')).toThrow(/unknown type/);
  });
});
