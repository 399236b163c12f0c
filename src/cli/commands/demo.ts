/** `mixmodal demo`: trains the two-spirals classifier through the whole engine and exports it. */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { trainTwoSpirals } from '../../examples/two-spirals.js';
import { saveCheckpoint } from '../../runtime/checkpoint.js';
import { exportOnnx } from '../../runtime/export-onnx.js';
import { numberOption, type Command } from '../command.js';
import { ProgressBar } from '../progress.js';

export const demoCommand: Command = {
  name: 'demo',
  summary: 'train a small classifier end to end (trace → training graph → ONNX Runtime) and export it',
  help: `Usage: mixmodal demo [--steps N] [--hidden H] [--lr LR] [--seed S] [--out DIR]

Traces an MLP, builds its AdamW training graph, trains it on the two-spirals
data set in ONNX Runtime, then writes DIR/checkpoint.safetensors and
DIR/model.onnx (weights inside, loadable by any ONNX Runtime).

Options:
  --steps N    optimizer steps (default 600)
  --hidden H   width of the two hidden layers (default 64)
  --lr LR      peak learning rate, cosine-decayed (default 0.02)
  --seed S     data and initialisation seed (default 1)
  --out DIR    output folder (default runs/demo)
  -h, --help   show this help

Example:
  mixmodal demo --steps 1000 --out runs/spirals`,
  options: {
    steps: { type: 'string' },
    hidden: { type: 'string' },
    lr: { type: 'string' },
    seed: { type: 'string' },
    out: { type: 'string' },
  },
  async run({ values }) {
    const steps = numberOption(values, 'steps', 600, { min: 1, integer: true });
    const hidden = numberOption(values, 'hidden', 64, { min: 1, integer: true });
    const lr = numberOption(values, 'lr', 0.02, { min: 0 });
    const seed = numberOption(values, 'seed', 1, { integer: true });
    const out = (values.out as string | undefined) ?? 'runs/demo';
    const bar = new ProgressBar('train', steps);
    const t0 = performance.now();
    const r = await trainTwoSpirals({ steps, hidden, lr, seed, onStep: (s, loss, acc) => bar.update(s, { loss, acc }) });
    bar.finish();
    const seconds = (performance.now() - t0) / 1000;
    mkdirSync(out, { recursive: true });
    await saveCheckpoint(join(out, 'checkpoint.safetensors'), { params: r.params, optimizerState: new Map(), steps: new Map([...r.params.keys()].map((k) => [k, steps])), extra: { steps, hidden, lr, seed } });
    await exportOnnx(join(out, 'model.onnx'), r.graph, r.params, { outputs: [{ name: 'logits', value: r.logits }] });
    console.log(`two-spirals: training accuracy ${(r.accuracy * 100).toFixed(1)}%, loss ${r.loss.toFixed(4)}, ${steps} steps in ${seconds.toFixed(2)} s`);
    console.log(`wrote ${join(out, 'checkpoint.safetensors')} and ${join(out, 'model.onnx')}`);
    return 0;
  },
};
