/** `mixmodal experiments report|check`: the A/B tests of routing strategies. */
import { loadModelConfig } from '../../model/config.js';
import { loadModelFolder } from '../../train/model-folder.js';
import { loadExperimentConfig } from '../../serve/experiments/experiments-file.js';
import { formatReport, reportFromLog } from '../../serve/experiments/report.js';
import type { Command } from '../command.js';

export const experimentsCommand: Command = {
  name: 'experiments',
  summary: 'A/B tests of routing strategies: check an experiments file, report a log',
  help: `Usage: mixmodal experiments report --log FILE [--json]
       mixmodal experiments check FILE [--model DIR | --config NAME]

report  reads an experiment log (JSON Lines written by 'mixmodal serve' with an
        experiments file, plus POST /v1/feedback) and prints per variant the
        requests, latency mean/p50/p95 and accuracy with its 95% Wilson
        interval, then for every pair of variants a two-proportion z-test on
        accuracy and Welch's t-test and the Mann–Whitney U test on latency
        (two-sided p-values; * marks p < 0.05).
check   validates an experiments file (names unique, weights > 0, topK within
        the model's experts when a model is given) and prints its variants.

Options:
  --log FILE      the experiment log (report)
  --json          print the report as JSON
  --model DIR     model folder to check topK against (check)
  --config NAME   or a model config name/path (check)
  -h, --help      show this help

Example:
  mixmodal experiments check experiments/routing.json --config mm-small
  mixmodal experiments report --log experiments/routing.log.jsonl`,
  options: {
    log: { type: 'string' },
    json: { type: 'boolean' },
    model: { type: 'string' },
    config: { type: 'string' },
  },
  async run({ values, positionals }) {
    const [sub, ...rest] = positionals;
    if (sub === 'report') {
      if (rest.length > 0) throw new Error(`report takes no positional arguments (got ${rest.join(' ')}); give the log with --log FILE`);
      if (typeof values.log !== 'string') throw new Error('report needs --log FILE (the experiment log)');
      const r = await reportFromLog(values.log);
      console.log(values.json ? JSON.stringify(r, (_, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) : formatReport(r));
      return 0;
    }
    if (sub === 'check') {
      const file = rest[0];
      if (!file) throw new Error('check needs FILE (the experiments JSON file)');
      const cfg = values.model ? (await loadModelFolder(values.model as string)).cfg : values.config ? loadModelConfig(values.config as string) : undefined;
      const exp = await loadExperimentConfig(file, cfg);
      const total = exp.variants.reduce((s, v) => s + v.weight, 0);
      console.log(`experiment ${exp.name}: ${exp.variants.length} variant(s)${cfg ? ` (checked against ${cfg.core.name})` : ''}`);
      for (const v of exp.variants) {
        const knobs = [v.topK !== undefined ? `topK ${v.topK}` : '', v.gateStrategy ? `gate ${v.gateStrategy}` : '', v.capacityFactor !== undefined ? `capacity factor ${v.capacityFactor}` : ''].filter(Boolean);
        console.log(`  ${v.name}: ${((v.weight / total) * 100).toFixed(1)}% of traffic${knobs.length ? `, ${knobs.join(', ')}` : ', model defaults'}`);
      }
      return 0;
    }
    throw new Error(sub ? `unknown subcommand '${sub}' (expected report or check)` : 'missing subcommand: report or check');
  },
};
