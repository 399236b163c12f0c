/** The evaluation report as readable text tables (the JSON form is the EvalReport itself). */
import { MODALITIES } from '../../model/modalities.js';
import type { EvalReport } from './evaluate.js';

/** Left-aligned first column, right-aligned others, two spaces apart. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((s, c) => (c === 0 ? s.padEnd(widths[c]!) : s.padStart(widths[c]!)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;
const fixed = (x: number, d = 2): string => x.toFixed(d);

function retrievalSection(r: EvalReport['retrieval']): string {
  if (r.directions.length === 0) return 'Retrieval: no example holds two modalities.';
  const present = MODALITIES.filter((m) => r.directions.some((d) => d.query === m || d.target === m));
  const cell = (q: string, t: string) => {
    const d = r.directions.find((x) => x.query === q && x.target === t);
    return d ? `${fixed(d.recallAt1)} / ${fixed(d.recallAt5)}  (N=${d.candidates})` : q === t ? '—' : '';
  };
  const matrix = formatTable(['query \\ target', ...present], present.map((q) => [q, ...present.map((t) => cell(q, t))]));
  const detail = formatTable(
    ['query → target', 'N', 'R@1', 'R@5', 'median rank'],
    r.directions.map((d) => [`${d.query} → ${d.target}`, String(d.candidates), fixed(d.recallAt1), fixed(d.recallAt5), String(d.medianRank)]),
  );
  return `Retrieval: Recall@1 / Recall@5 (N candidates; rows query, columns target)\n${matrix}\n\n${detail}`;
}

function qaSection(q: EvalReport['qa']): string {
  if (q.count === 0) return 'Question answering: no examples with a question and an answer.';
  const rows = Object.entries(q.byModality).map(([k, c]) => [k, String(c.count), String(c.correct), pct(c.accuracy)]);
  rows.push(['all', String(q.count), String(q.correct), pct(q.accuracy)]);
  return `Question answering: exact match by media\n${formatTable(['media', 'questions', 'correct', 'accuracy'], rows)}${samples(q.samples)}`;
}

function captionSection(c: EvalReport['captioning']): string {
  if (c.count === 0) return 'Captioning: no examples with a caption and no question.';
  const rows = Object.entries(c.byModality).map(([k, v]) => [k, String(v.count), pct(v.exactMatch), fixed(100 * v.bleu4)]);
  rows.push(['all', String(c.count), pct(c.exactMatch), fixed(100 * c.bleu4)]);
  const b = c.bleu;
  const detail = `BLEU-4 ${fixed(100 * b.bleu)}: precisions ${b.precisions.map((p) => fixed(100 * p, 1)).join(' / ')}, brevity penalty ${fixed(b.brevityPenalty, 3)} (hyp ${b.hypothesisLength} / ref ${b.referenceLength} tokens)`;
  return `Captioning from media alone\n${formatTable(['media', 'captions', 'exact match', 'BLEU-4'], rows)}\n${detail}${samples(c.samples)}`;
}

function samples(xs: EvalReport['qa']['samples']): string {
  if (xs.length === 0) return '';
  const show = (s: string) => JSON.stringify(s.length > 80 ? `${s.slice(0, 80)}…` : s);
  return `\nsamples:\n${xs.map((s) => `  ${s.id}: ${s.input !== undefined ? `${show(s.input)} → ` : ''}${show(s.prediction)} (reference ${show(s.reference)})`).join('\n')}`;
}

function routingSection(r: EvalReport['routing']): string {
  if (r.layers.length === 0) return r.batches === 0 ? 'Routing: no encode runs (no QA or captioning examples).' : 'Routing: the model has no MoE layers.';
  const experts = Array.from({ length: r.experts }, (_, e) => `e${e}`);
  const load = formatTable(
    ['layer', 'assignments', 'dropped', 'drop rate', 'busiest', ...experts],
    r.layers.map((l) => [
      String(l.layer),
      String(l.assignments),
      String(l.dropped),
      pct(l.droppedRate),
      `e${l.busiestExpert} ${pct(l.busiestShare)}`,
      ...l.tokensPerExpert.map((v) => (l.assignments > 0 ? pct(v / l.assignments) : '0')),
    ]),
  );
  const tables = r.layers.map((l) => {
    const rows = l.modalityExpert
      .map((row, m) => ({ m: r.modalities[m]!, row, sum: row.reduce((a, b) => a + b, 0) }))
      .filter((x) => x.sum > 0)
      .map((x) => [x.m, ...x.row.map((v) => pct(v / x.sum)), String(x.sum)]);
    return `layer ${l.layer}: share of each modality's assignments per expert\n${formatTable(['modality', ...experts, 'assignments'], rows)}`;
  });
  return [
    `Routing: ${r.routing} top-${r.topK} over ${r.experts} experts; ${r.tokens} tokens in ${r.batches} encode runs (expert columns: share of the layer's assignments)`,
    load,
    ...tables,
  ].join('\n\n');
}

export function formatEvalReport(report: EvalReport): string {
  return [
    `Evaluation of ${report.model}: ${report.examples} examples, batch ${report.batch}, ${report.seconds.toFixed(1)} s`,
    retrievalSection(report.retrieval),
    qaSection(report.qa),
    captionSection(report.captioning),
    routingSection(report.routing),
  ].join('\n\n');
}
