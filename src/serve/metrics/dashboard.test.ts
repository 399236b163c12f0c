/** dashboards/grafana-mixmodal.json stays in step with the metrics the server exports. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createServeMetrics } from './registry.js';

const file = join(dirname(fileURLToPath(import.meta.url)), '../../../dashboards/grafana-mixmodal.json');

describe('Grafana dashboard', () => {
  it('plots only series the server exports, and every mixmodal metric', async () => {
    const dash = JSON.parse(readFileSync(file, 'utf8')) as { panels: { id: number; targets?: { expr: string }[] }[] };
    const exported = new Set((await createServeMetrics().registry.getMetricsAsJSON()).map((m) => m.name));
    const used = new Set<string>();
    for (const p of dash.panels) for (const t of p.targets ?? []) for (const m of t.expr.matchAll(/\b((?:mixmodal|process|nodejs)_[a-z0-9_]+)/g)) used.add(m[1]!.replace(/_(bucket|sum|count)$/, ''));
    for (const name of used) expect(exported, `dashboard uses ${name}`).toContain(name);
    for (const name of exported) if (name.startsWith('mixmodal_')) expect(used, `dashboard misses ${name}`).toContain(name);
    const ids = dash.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
