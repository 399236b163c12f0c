import { describe, expect, it } from 'vitest';
import { mannWhitneyU, mean, normalSf, quantile, studentTwoSidedP, twoProportionZTest, welchTTest, wilsonInterval } from './stats.js';

// Reference values from SciPy 1.17 (stats.ttest_ind(equal_var=False), stats.mannwhitneyu(method='asymptotic'), stats.t.sf, stats.norm.sf)
// and NumPy's quantile; Wilson and the pooled z-test by their formulas.
const A = [12.5, 15.1, 9.8, 20.3, 14.2, 11.7, 13.3, 18.9, 10.4, 16.0];
const B = [22.1, 19.5, 25.3, 30.2, 18.7, 21.9, 24.4, 27.8];

describe('experiment statistics', () => {
  it('mean and type-7 quantiles', () => {
    expect(mean(A)).toBeCloseTo(14.22, 10);
    expect(quantile(A, 0.5)).toBeCloseTo(13.75, 10);
    expect(quantile(A, 0.95)).toBeCloseTo(19.67, 10);
    expect(quantile(B, 0.95)).toBeCloseTo(29.36, 10);
    expect(quantile([4], 0.95)).toBe(4);
  });

  it('Wilson interval: 7/10 → [0.3968, 0.8922]; 0/5 starts at 0', () => {
    const w = wilsonInterval(7, 10);
    expect(w.low).toBeCloseTo(0.39677814746114537, 9);
    expect(w.high).toBeCloseTo(0.8922087325936989, 9);
    expect(wilsonInterval(2, 6).low).toBeCloseTo(0.09677141110578041, 9);
    expect(wilsonInterval(0, 5).low).toBe(0);
    expect(wilsonInterval(0, 5).high).toBeCloseTo(0.43448246478317476, 9);
  });

  it('two-proportion z-test', () => {
    const a = twoProportionZTest(530, 1000, 480, 1000);
    expect(a.z).toBeCloseTo(2.2361797892846207, 9);
    expect(a.p).toBeCloseTo(0.025339996552342214, 6);
    const b = twoProportionZTest(7, 10, 2, 6);
    expect(b.z).toBeCloseTo(1.4313201069911818, 9);
    expect(b.p).toBeCloseTo(0.15233849385606946, 6);
    expect(twoProportionZTest(5, 5, 3, 3).p).toBe(1);
  });

  it('Welch’s t-test', () => {
    const w = welchTTest(A, B);
    expect(w.t).toBeCloseTo(-5.35074350080119, 9);
    expect(w.df).toBeCloseTo(14.020662679570703, 8);
    expect(w.p).toBeCloseTo(0.00010180262193118384, 8);
    const v = welchTTest([1, 2, 2, 3, 5, 5, 5, 8], [2, 4, 5, 6, 6, 9, 10]);
    expect(v.t).toBeCloseTo(-1.6046442989841074, 9);
    expect(v.df).toBeCloseTo(11.744639886830505, 8);
    expect(v.p).toBeCloseTo(0.13510761421096684, 7);
  });

  it('Mann–Whitney U with ties (normal approximation, continuity correction)', () => {
    const m = mannWhitneyU(A, B);
    expect(m.u).toBe(3);
    expect(m.p).toBeCloseTo(0.0011823251033786022, 6);
    const t = mannWhitneyU([1, 2, 2, 3, 5, 5, 5, 8], [2, 4, 5, 6, 6, 9, 10]);
    expect(t.u).toBe(14.5);
    expect(t.p).toBeCloseTo(0.1272539397501806, 6);
  });

  it('Student t and normal tails', () => {
    expect(studentTwoSidedP(2.5, 3.7)).toBeCloseTo(0.07182202291182678, 8);
    expect(studentTwoSidedP(0.3, 40)).toBeCloseTo(0.7657307167710191, 8);
    expect(studentTwoSidedP(6, 1000)).toBeCloseTo(2.7553691733774752e-9, 12);
    expect(2 * normalSf(1.96)).toBeCloseTo(0.04999579029644087, 7);
    expect(2 * normalSf(3.5)).toBeCloseTo(0.00046525815807105003, 8);
  });
});
