/**
 * `npm run train:demo`: the bundled demo model. Generates the synthetic
 * multimodal world (5000 scenes, 500 of them in the test split), trains
 * mm-small through the three stages, evaluates it on the test split, and
 * writes models/mm-small-synth/ (weights, ONNX graphs, tokenizer, config and
 * a model card with the command, data, time and the numbers).
 *
 *   npm run train:demo -- [--out DIR] [--no-stage2] [--data DIR] [--scenes N] [--resume]
 *
 * `--no-stage2` spends stage 2's steps on stage 3 instead and replays no
 * contrastive batches in it (the ablation of contrastive alignment at the
 * same number of steps).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_SYNTH_OPTIONS, generateSynth } from '../src/data/synth/generate.js';
import { readModelConfigJson, validateModelConfig } from '../src/model/config.js';
import { videoInputSize } from '../src/model/model-inputs.js';
import { allSignatures } from '../src/model/modalities.js';
import { expectedParams, saveModelFolder } from '../src/train/model-folder.js';
import { ModelRuntime } from '../src/model/model-runtime.js';
import { loadDataset } from '../src/train/dataset.js';
import { evaluate, formatEvalReport } from '../src/train/evaluate/index.js';
import type { Stage } from '../src/train/objectives/objective.js';
import { runTraining } from '../src/train/run-training.js';
import type { StageSettings } from '../src/train/trainer.js';
import { ProgressBar } from '../src/cli/progress.js';

/** The recipe. Steps and rates were chosen to fit 30 minutes on 2 cores (see BENCHMARKS.md). */
const RECIPE = {
  config: 'mm-small',
  seed: 0,
  batch: 32,
  stages: {
    1: { steps: 300, lr: 1e-3, batch: 32 },
    // (Image + video pairs in stage 2, `data synth --image-video-pairs`, were tried and lost: BENCHMARKS.md.)
    // 1400 steps: the alignment done before instruction tuning starts (shape reaches the image tokens in it), instead of
    // 900 steps plus contrastive batches replayed during stage 3 (BENCHMARKS.md).
    2: { steps: 1400, lr: 1e-3, batch: 128 },
    // 4000 steps of instruction tuning on the fixed encoders, whose features are computed once per media item and
    // reused (train/encoder-features.ts), so a step past the first epoch is ~0.22 s. Audio questions come up half as
    // often (audio QA is not what limits the model). 4400 steps at weight 1 took 30 min 13 s (image QA 78.9%); these
    // 4000 take 29 min and give 82.7%. The weight also reorders every batch, so that gap is not the weight's effect
    // alone (BENCHMARKS.md, session 14).
    3: { steps: 4000, lr: 1e-3, batch: 32, freeze: ['encoders.', 'heads.'], weights: { 'text+audio': 0.5 } },
  } as Record<Stage, StageSettings>,
};

const { values } = parseArgs({
  options: {
    out: { type: 'string', default: 'models/mm-small-synth' },
    run: { type: 'string', default: 'runs/mm-small-synth' },
    data: { type: 'string', default: 'data/synth-demo' },
    scenes: { type: 'string', default: '5000' },
    'no-stage2': { type: 'boolean', default: false },
    resume: { type: 'boolean', default: false },
  },
});
const t0 = performance.now();
const dataDir = values.data!;
const manifest = join(dataDir, 'manifest.jsonl');
const rawConfig = readModelConfigJson(RECIPE.config);
// Videos are written at the side the model reads them (imageSize with the keyframe path, see model-inputs.ts).
const videoSize = videoInputSize(validateModelConfig(rawConfig));
if (!existsSync(manifest)) {
  const n = Number(values.scenes);
  const bar = new ProgressBar('synth', n);
  await generateSynth(dataDir, { n, seed: 1, videoSize }, (done) => bar.update(done));
  bar.finish();
}
const stages: Stage[] = values['no-stage2'] ? [1, 3] : [1, 2, 3];
const settings = { ...RECIPE.stages };
if (values['no-stage2']) settings[3] = { ...settings[3], steps: settings[3].steps + settings[2].steps, replay: undefined };
let bar: ProgressBar | null = null;
let current = 0;
const run = await runTraining(
  { rawConfig, data: manifest, out: values.run!, stages, stageSettings: settings, batch: RECIPE.batch, seed: RECIPE.seed, evalEvery: 500, checkpointEvery: 500, resume: values.resume },
  {
    onLog: (l) => console.error(l),
    onStep: (s) => {
      if (s.stage !== current) {
        bar?.finish();
        bar = new ProgressBar(`stage ${s.stage}`, s.steps);
        current = s.stage;
      }
      bar!.update(s.step, { loss: s.loss, 'ex/s': s.examplesPerSecond });
    },
    onEval: (stage, step, v) => console.error(`\n[val] stage ${stage} step ${step}: loss ${v.loss?.toFixed(4)}`),
  },
);
(bar as ProgressBar | null)?.finish();
if (run.status !== 'finished') throw new Error(`training ${run.status}`);
const trainSeconds = (performance.now() - t0) / 1000;

const keep = expectedParams(run.cfg);
const params = new Map([...run.store.params()].filter(([k]) => keep.has(k)));
const runtime = new ModelRuntime(run.cfg, params);
const test = await loadDataset(manifest, run.cfg, run.tokenizer, { split: 'test' });
const report = await evaluate(runtime, run.tokenizer, test.examples, { batch: 32 });
await runtime.release();
const totalSeconds = (performance.now() - t0) / 1000;

const command = `npm run train:demo${values['no-stage2'] ? ' -- --no-stage2' : ''}${values.resume ? ' (resumed from its checkpoint)' : ''}`;
const card = [
  `# ${values['no-stage2'] ? 'mm-small-synth (no stage 2 ablation)' : 'mm-small-synth'}`,
  '',
  'The demo model of mixmodal: mm-small (configs/models/mm-small.json) trained on the synthetic multimodal world.',
  '',
  `- Command: \`${command}\``,
  `- Data: \`mixmodal data synth --n ${values.scenes} --seed 1${videoSize !== DEFAULT_SYNTH_OPTIONS.videoSize ? ` --video-size ${videoSize}` : ''}\` (${run.data.train.length} training examples; test split ${test.examples.length} examples)`,
  `- Recipe: stages ${stages.join(', ')}; ${stages.map((s) => describeStage(s, settings[s])).join('; ')}; seed ${RECIPE.seed}`,
  `- Time on this machine (2 cores): ${(trainSeconds / 60).toFixed(1)} min for data + training, ${(totalSeconds / 60).toFixed(1)} min with evaluation${values.resume ? ' (this invocation only: it resumed a run)' : ''}`,
  '',
  '## Evaluation on the test split',
  '',
  '```',
  formatEvalReport(report),
  '```',
  '',
].join('\n');
mkdirSync(values.out!, { recursive: true });
await saveModelFolder(values.out!, { cfg: rawConfig, params, tokenizer: run.tokenizer, exportSignatures: allSignatures(), card });
writeFileSync(join(values.out!, 'eval.json'), `${JSON.stringify(report, null, 2)}\n`);
console.log(card);

/** One stage of the recipe as the model card states it. */
function describeStage(stage: Stage, st: StageSettings): string {
  const parts = [`stage ${stage}: ${st.steps} steps of batch ${st.batch}, peak lr ${st.lr}`];
  if (st.freeze) parts.push(`fixed ${st.freeze.join(' ')}`);
  if (st.replay) parts.push(`a stage-${st.replay.stage} batch of ${st.replay.batch} every ${st.replay.every} steps`);
  if (st.weights) parts.push(`task weights ${Object.entries(st.weights).map(([k, w]) => `${k}=${w}`).join(',')}`);
  return parts.join(', ');
}
