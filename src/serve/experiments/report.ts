/**
 * The experiments report (`mixmodal experiments report`): per variant the
 * requests, latency (mean, p50, p95) and accuracy on the requests that got
 * feedback with its 95% Wilson interval; between every pair of variants a
 * two-proportion z-test on accuracy and Welch's t-test and the Mann–Whitney
 * U test on latency, all two-sided.
 */
import { readFile } from 'node:fs/promises';
import { parseLog, type LogRecord } from './feedback-store.js';
import { mannWhitneyU, mean, quantile, twoProportionZTest, welchTTest, wilsonInterval } from './stats.js';

export interface VariantReport {
  variant: string;
  /** Requests served (successful ones; failures counted apart). */
  requests: number;
  failed: number;
  latencyMs: { mean: number; p50: number; p95: number };
  /** Requests with feedback, and how many of them were right. */
  feedback: number;
  correct: number;
  /** correct / feedback (NaN without feedback). */
  accuracy: number;
  accuracyCi95: { low: number; high: number };
}

export interface VariantComparison {
  a: string;
  b: string;
  /** Accuracy of a minus accuracy of b, and the two-proportion z-test. */
  accuracy: { diff: number; z: number; p: number };
  /** Mean latency of a minus b (ms), Welch's t-test and the Mann–Whitney U test. */
  latency: { diffMs: number; welch: { t: number; df: number; p: number }; mannWhitney: { u: number; p: number } };
}

export interface ExperimentReport {
  experiments: string[];
  variants: VariantReport[];
  comparisons: VariantComparison[];
  /** Feedback whose request is not in the log. */
  unmatchedFeedback: number;
  /** Lines that are not records (e.g. cut by a crash). */
  badLines: number;
}

/** The report of a set of log records; with several feedbacks for one request the last one counts. */
export function buildReport(records: readonly LogRecord[], badLines = 0): ExperimentReport {
  const requests = new Map<string, { variant: string; latencyMs: number; ok: boolean }>();
  const experiments = new Set<string>();
  const order: string[] = [];
  for (const r of records) {
    if (r.type !== 'request') continue;
    requests.set(r.requestId, { variant: r.variant, latencyMs: r.latencyMs, ok: r.ok !== false });
    experiments.add(r.experiment);
    if (!order.includes(r.variant)) order.push(r.variant);
  }
  const verdict = new Map<string, boolean>();
  let unmatchedFeedback = 0;
  for (const r of records) {
    if (r.type !== 'feedback') continue;
    if (requests.has(r.requestId)) verdict.set(r.requestId, r.correct);
    else unmatchedFeedback++;
  }
  const perVariant = new Map(order.map((v) => [v, { latencies: [] as number[], failed: 0, feedback: 0, correct: 0 }]));
  for (const [id, r] of requests) {
    const s = perVariant.get(r.variant)!;
    if (r.ok) s.latencies.push(r.latencyMs);
    else s.failed++;
    const c = verdict.get(id);
    if (c !== undefined) {
      s.feedback++;
      if (c) s.correct++;
    }
  }
  const variants: VariantReport[] = order.map((v) => {
    const s = perVariant.get(v)!;
    return {
      variant: v,
      requests: s.latencies.length,
      failed: s.failed,
      latencyMs: { mean: mean(s.latencies), p50: quantile(s.latencies, 0.5), p95: quantile(s.latencies, 0.95) },
      feedback: s.feedback,
      correct: s.correct,
      accuracy: s.feedback ? s.correct / s.feedback : NaN,
      accuracyCi95: wilsonInterval(s.correct, s.feedback),
    };
  });
  const comparisons: VariantComparison[] = [];
  for (let i = 0; i < variants.length; i++) {
    for (let j = i + 1; j < variants.length; j++) {
      const [a, b] = [variants[i]!, variants[j]!];
      const [la, lb] = [perVariant.get(a.variant)!.latencies, perVariant.get(b.variant)!.latencies];
      const mw = mannWhitneyU(la, lb);
      comparisons.push({
        a: a.variant,
        b: b.variant,
        accuracy: { diff: a.accuracy - b.accuracy, ...twoProportionZTest(a.correct, a.feedback, b.correct, b.feedback) },
        latency: { diffMs: a.latencyMs.mean - b.latencyMs.mean, welch: welchTTest(la, lb), mannWhitney: { u: mw.u, p: mw.p } },
      });
    }
  }
  return { experiments: [...experiments], variants, comparisons, unmatchedFeedback, badLines };
}

/** Reads a log file and builds its report. */
export async function reportFromLog(path: string): Promise<ExperimentReport> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new Error(`${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  const { records, badLines } = parseLog(text);
  return buildReport(records, badLines);
}

const pct = (x: number) => (Number.isNaN(x) ? '—' : `${(x * 100).toFixed(1)}%`);
const ms = (x: number) => (Number.isNaN(x) ? '—' : x.toFixed(1));
const pv = (p: number) => (Number.isNaN(p) ? 'n/a' : p < 0.001 ? 'p < 0.001' : `p = ${p.toFixed(3)}`);
const star = (p: number) => (p < 0.05 ? ' *' : '');

/** The report as text: a table of variants, then the pairwise tests (* = significant at 5%). */
export function formatReport(r: ExperimentReport): string {
  if (r.variants.length === 0) return 'no requests in the log';
  const head = ['variant', 'requests', 'failed', 'mean ms', 'p50 ms', 'p95 ms', 'feedback', 'accuracy', '95% CI (Wilson)'];
  const rows = r.variants.map((v) => [
    v.variant,
    String(v.requests),
    String(v.failed),
    ms(v.latencyMs.mean),
    ms(v.latencyMs.p50),
    ms(v.latencyMs.p95),
    String(v.feedback),
    pct(v.accuracy),
    v.feedback ? `[${pct(v.accuracyCi95.low)}, ${pct(v.accuracyCi95.high)}]` : '—',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const out = [`experiment ${r.experiments.join(', ') || '?'}`, '', line(head), ...rows.map(line)];
  if (r.comparisons.length > 0) {
    out.push('', 'comparisons (two-sided; * = significant at 5%):');
    for (const c of r.comparisons) {
      out.push(
        `  ${c.a} vs ${c.b}`,
        `    accuracy  Δ ${Number.isNaN(c.accuracy.diff) ? '—' : `${c.accuracy.diff >= 0 ? '+' : ''}${(c.accuracy.diff * 100).toFixed(1)} pts`}, two-proportion z = ${c.accuracy.z.toFixed(2)}, ${pv(c.accuracy.p)}${star(c.accuracy.p)}`,
        `    latency   Δ ${ms(c.latency.diffMs)} ms, Welch t = ${c.latency.welch.t.toFixed(2)} (df ${c.latency.welch.df.toFixed(1)}), ${pv(c.latency.welch.p)}${star(c.latency.welch.p)}; Mann–Whitney U = ${c.latency.mannWhitney.u}, ${pv(c.latency.mannWhitney.p)}${star(c.latency.mannWhitney.p)}`,
      );
    }
  }
  if (r.unmatchedFeedback > 0) out.push('', `${r.unmatchedFeedback} feedback record(s) name requests not in the log (ignored)`);
  if (r.badLines > 0) out.push('', `${r.badLines} line(s) were not records (ignored)`);
  return out.join('\n');
}
