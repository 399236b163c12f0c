/**
 * A strict reader of the Prometheus text exposition format (version 0.0.4):
 * `# HELP`, `# TYPE` and sample lines `name{label="value",…} value
 * [timestamp]`. Used by the tests (and anyone checking a scrape); any
 * malformed line is an error naming it.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface MetricFamily {
  name: string;
  type?: string;
  help?: string;
  samples: Sample[];
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL = `([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\\\\n]|\\\\[\\\\"n])*)"`;
const SAMPLE = new RegExp(`^(${NAME})(?:\\{((?:${LABEL})(?:,${LABEL})*,?)?\\})? (\\S+)(?: (-?\\d+))?$`);
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const SUFFIXES = ['_bucket', '_count', '_sum', '_total', '_created'];

function parseValue(s: string): number {
  if (s === '+Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  if (s === 'NaN') return NaN;
  const v = Number(s);
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s) || Number.isNaN(v)) throw new Error(`bad sample value '${s}'`);
  return v;
}

/** Families by name; a histogram's `_bucket`/`_sum`/`_count` samples are also listed under their own names. */
export function parsePrometheusText(text: string): Map<string, MetricFamily> {
  const out = new Map<string, MetricFamily>();
  const family = (name: string) => {
    let f = out.get(name);
    if (!f) out.set(name, (f = { name, samples: [] }));
    return f;
  };
  text.split('\n').forEach((line, i) => {
    const where = `line ${i + 1} '${line}'`;
    if (line === '') return;
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (!m) return; // other comments are allowed
      if (!new RegExp(`^${NAME}$`).test(m[2]!)) throw new Error(`${where}: bad metric name`);
      if (m[1] === 'TYPE') {
        if (!TYPES.has(m[3]!)) throw new Error(`${where}: unknown type '${m[3]}'`);
        family(m[2]!).type = m[3];
      } else family(m[2]!).help = m[3];
      return;
    }
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`${where}: not a valid sample line`);
    const name = m[1]!;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(new RegExp(LABEL, 'g'))) labels[l[1]!] = l[2]!.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
    let value: number;
    try {
      value = parseValue(m[m.length - 2]!);
    } catch (e) {
      throw new Error(`${where}: ${(e as Error).message}`);
    }
    const sample = { name, labels, value };
    family(name).samples.push(sample);
    const base = SUFFIXES.find((s) => name.endsWith(s) && out.get(name.slice(0, -s.length))?.type);
    if (base) family(name.slice(0, -base.length)).samples.push(sample);
  });
  return out;
}
