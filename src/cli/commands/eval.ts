/** `mixmodal eval`: retrieval, QA, captioning and routing statistics of a model folder on one split of a manifest. */
import { existsSync } from 'node:fs';
import { readManifest, SPLITS, type Split } from '../../data/manifest.js';
import { loadDataset } from '../../train/dataset.js';
import { evaluate } from '../../train/evaluate/evaluate.js';
import { formatEvalReport } from '../../train/evaluate/report-format.js';
import { numberOption, type Command } from '../command.js';
import { ProgressBar } from '../progress.js';
import { openModel } from './embed.js';

export const evalCommand: Command = {
  name: 'eval',
  summary: 'evaluate a model folder on a manifest split: retrieval, QA, captioning, routing',
  help: `Usage: mixmodal eval --model DIR --data MANIFEST.jsonl [--split test] [--json] [--limit N] [--batch B] [--skip-bad]

Loads one split of the manifest (media decoded to the model's shapes) and reports:
  retrieval    Recall@1 / Recall@5 both ways for every modality pair present
               (text = text or caption; one candidate per scene)
  QA           exact match of greedy answers, by the question's media
  captioning   exact match and corpus BLEU-4 of captions generated from media alone
  routing      per MoE layer: assignments per expert, drop rate, busiest expert,
               and the modality × expert table
Progress goes to stderr; the report (text, or JSON with --json) to stdout.

Options:
  --model DIR     model folder (config.json, weights.safetensors, tokenizer.json)
  --data FILE     JSON Lines manifest
  --split S       train, val or test (default test)
  --json          print the report as JSON
  --limit N       evaluate only the first N examples of the split
  --batch B       rows per model run (default 32)
  --skip-bad      skip bad manifest lines (reported) instead of stopping
  -h, --help      show this help

Example:
  mixmodal eval --model runs/mm-small/model --data data/synth/manifest.jsonl --split test`,
  options: {
    model: { type: 'string' },
    data: { type: 'string' },
    split: { type: 'string' },
    json: { type: 'boolean' },
    limit: { type: 'string' },
    batch: { type: 'string' },
    'skip-bad': { type: 'boolean' },
  },
  async run({ values, positionals }) {
    if (positionals.length > 0) throw new Error(`unexpected argument '${positionals[0]}'`);
    const data = values.data;
    if (typeof data !== 'string' || data === '') throw new Error('missing --data MANIFEST.jsonl');
    if (!existsSync(data)) throw new Error(`--data ${data}: no such file`);
    const split = (values.split as string | undefined) ?? 'test';
    if (!SPLITS.includes(split as Split)) throw new Error(`--split must be one of ${SPLITS.join(', ')}, got '${split}'`);
    const limit = values.limit === undefined ? undefined : numberOption(values, 'limit', 0, { min: 1, integer: true });
    const batch = numberOption(values, 'batch', 32, { min: 1, integer: true });
    const skipBad = values['skip-bad'] === true;

    const { folder, runtime } = await openModel(values);
    try {
      let lines = 0;
      for await (const _ of readManifest(data, { split: split as Split, checkFiles: false, skipBad: true, checkDuplicateIds: false })) lines++;
      const expected = Math.max(1, Math.min(lines, limit ?? lines));
      const loadBar = new ProgressBar(`load ${split}`, expected);
      const { examples, summary } = await loadDataset(data, folder.cfg, folder.tokenizer, {
        split: split as Split,
        skipBad,
        limit,
        onProgress: (n) => loadBar.update(Math.min(n, expected), { examples: n }),
      });
      if (examples.length < expected) loadBar.update(expected, { examples: examples.length }); // bad lines skipped
      loadBar.finish();
      if (skipBad) console.error(summary);
      if (examples.length === 0) throw new Error(`${data}: no examples in split '${split}'`);

      let bar: ProgressBar | undefined;
      const report = await evaluate(runtime, folder.tokenizer, examples, {
        batch,
        onProgress: (done, total) => {
          bar ??= new ProgressBar('evaluate', Math.max(1, total));
          bar.update(Math.max(done, total === 0 ? 1 : 0));
        },
      });
      bar?.finish();
      console.log(values.json ? JSON.stringify(report, null, 2) : formatEvalReport(report));
      return 0;
    } finally {
      await runtime.release();
    }
  },
};
