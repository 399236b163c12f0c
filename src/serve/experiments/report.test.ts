import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { experimentsCommand } from '../../cli/commands/experiments.js';
import type { LogRecord } from './feedback-store.js';
import { buildReport, formatReport, reportFromLog } from './report.js';

// Variant a: 10 requests, all judged, 7 right. Variant b: 8 served + 1 failed, 6 judged, 2 right
// (one judged twice: the last verdict counts). Expected values: NumPy/SciPy 1.17 and the Wilson formula.
const A = [12.5, 15.1, 9.8, 20.3, 14.2, 11.7, 13.3, 18.9, 10.4, 16.0];
const B = [22.1, 19.5, 25.3, 30.2, 18.7, 21.9, 24.4, 27.8];
const time = '2025-01-01T00:00:00.000Z';

function constructedLog(): LogRecord[] {
  const recs: LogRecord[] = [];
  A.forEach((l, i) => recs.push({ type: 'request', requestId: `a${i}`, experiment: 'routing', variant: 'a', latencyMs: l, time }));
  B.forEach((l, i) => recs.push({ type: 'request', requestId: `b${i}`, experiment: 'routing', variant: 'b', latencyMs: l, time }));
  recs.push({ type: 'request', requestId: 'b-failed', experiment: 'routing', variant: 'b', latencyMs: 5000, time, ok: false });
  A.forEach((_, i) => recs.push({ type: 'feedback', requestId: `a${i}`, variant: 'a', correct: i < 7, time }));
  recs.push({ type: 'feedback', requestId: 'b0', variant: 'b', correct: false, time }); // overruled below
  for (let i = 0; i < 6; i++) recs.push({ type: 'feedback', requestId: `b${i}`, variant: 'b', correct: i < 2, time });
  recs.push({ type: 'feedback', requestId: 'gone', variant: 'a', correct: true, time });
  return recs;
}

const dir = mkdtempSync(join(tmpdir(), 'mixmodal-report-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('experiments report', () => {
  it('per-variant latency and accuracy with Wilson intervals, and the pairwise tests', () => {
    const r = buildReport(constructedLog());
    expect(r.experiments).toEqual(['routing']);
    expect(r.unmatchedFeedback).toBe(1);
    const [a, b] = r.variants;
    expect(a).toMatchObject({ variant: 'a', requests: 10, failed: 0, feedback: 10, correct: 7, accuracy: 0.7 });
    expect(a!.latencyMs.mean).toBeCloseTo(14.22, 9);
    expect(a!.latencyMs.p50).toBeCloseTo(13.75, 9);
    expect(a!.latencyMs.p95).toBeCloseTo(19.67, 9);
    expect(a!.accuracyCi95.low).toBeCloseTo(0.39677814746114537, 9);
    expect(a!.accuracyCi95.high).toBeCloseTo(0.8922087325936989, 9);
    expect(b).toMatchObject({ variant: 'b', requests: 8, failed: 1, feedback: 6, correct: 2 });
    expect(b!.latencyMs.mean).toBeCloseTo(23.7375, 9);
    expect(b!.latencyMs.p50).toBeCloseTo(23.25, 9);
    expect(b!.latencyMs.p95).toBeCloseTo(29.36, 9);
    expect(b!.accuracyCi95.low).toBeCloseTo(0.09677141110578041, 9);
    expect(b!.accuracyCi95.high).toBeCloseTo(0.700006684861608, 9);
    const [c] = r.comparisons;
    expect(r.comparisons).toHaveLength(1);
    expect(c!.accuracy.diff).toBeCloseTo(0.7 - 2 / 6, 12);
    expect(c!.accuracy.z).toBeCloseTo(1.4313201069911818, 9);
    expect(c!.accuracy.p).toBeCloseTo(0.15233849385606946, 6);
    expect(c!.latency.diffMs).toBeCloseTo(14.22 - 23.7375, 9);
    expect(c!.latency.welch.t).toBeCloseTo(-5.35074350080119, 9);
    expect(c!.latency.welch.df).toBeCloseTo(14.020662679570703, 8);
    expect(c!.latency.welch.p).toBeCloseTo(0.00010180262193118384, 8);
    expect(c!.latency.mannWhitney.u).toBe(3);
    expect(c!.latency.mannWhitney.p).toBeCloseTo(0.0011823251033786022, 6);

    const text = formatReport(r);
    expect(text).toMatch(/a\s+10\s+0\s+14\.2\s+13\.8\s+19\.7\s+10\s+70\.0%\s+\[39\.7%, 89\.2%\]/);
    expect(text).toMatch(/two-proportion z = 1\.43, p = 0\.152\n/);
    expect(text).toMatch(/Welch t = -5\.35 \(df 14\.0\), p < 0\.001 \*; Mann–Whitney U = 3, p = 0\.001 \*/);
  });

  it('`mixmodal experiments report --log FILE [--json]` reads a log file (skipping a cut line)', async () => {
    const path = join(dir, 'log.jsonl');
    writeFileSync(path, constructedLog().map((r) => JSON.stringify(r)).join('\n') + '\n{"type":"feedb');
    expect((await reportFromLog(path)).badLines).toBe(1);
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      expect(await experimentsCommand.run({ values: { log: path, json: true }, positionals: ['report'] })).toBe(0);
      const json = JSON.parse(log.mock.calls[0]![0] as string);
      expect(json.variants.map((v: { variant: string; correct: number }) => [v.variant, v.correct])).toEqual([['a', 7], ['b', 2]]);
      log.mockClear();
      await experimentsCommand.run({ values: { log: path }, positionals: ['report'] });
      expect(log.mock.calls[0]![0]).toMatch(/^experiment routing/);
    } finally {
      log.mockRestore();
    }
    await expect(experimentsCommand.run({ values: {}, positionals: ['report'] })).rejects.toThrow(/needs --log FILE/);
    await expect(experimentsCommand.run({ values: { log: join(dir, 'none.jsonl') }, positionals: ['report'] })).rejects.toThrow(/no such file/);
  });
});
