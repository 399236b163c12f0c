/** `mixmodal train`: the three training stages on a manifest, with progress, validation, checkpoints and resume. */
import { readModelConfigJson } from '../../model/config.js';
import type { Stage } from '../../train/objectives/objective.js';
import { runTraining } from '../../train/run-training.js';
import type { StageSettings } from '../../train/trainer.js';
import { numberOption, type Command } from '../command.js';
import { ProgressBar } from '../progress.js';

/** "300" (every stage) or "1:300,3:900" (per stage) → per-stage values. */
export function parsePerStage(raw: string | undefined, name: string, base: Record<Stage, number>, integer: boolean): Record<Stage, number> {
  if (raw === undefined) return { ...base };
  const out = { ...base };
  const parse = (v: string) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0 || (integer && !Number.isInteger(n))) throw new Error(`--${name}: '${v}' is not a${integer ? 'n integer' : ' number'} ≥ 0`);
    return n;
  };
  if (!raw.includes(':')) {
    const n = parse(raw);
    return { 1: n, 2: n, 3: n };
  }
  for (const part of raw.split(',')) {
    const [s, v] = part.split(':');
    if (!['1', '2', '3'].includes(s ?? '') || v === undefined) throw new Error(`--${name}: expected N or STAGE:N,… with stages 1–3, got '${raw}'`);
    out[Number(s) as Stage] = parse(v);
  }
  return out;
}

export function parseStages(raw: string | undefined): Stage[] {
  if (raw === undefined) return [1, 2, 3];
  const stages = raw.split(',').map((s) => Number(s.trim()));
  if (stages.length === 0 || stages.some((s) => ![1, 2, 3].includes(s))) throw new Error(`--stages: expected a list of 1, 2, 3, got '${raw}'`);
  return stages as Stage[];
}

/** `--stage3-replay N[:B]`: a stage-2 batch (of B examples) every N-th step of stage 3. */
export function parseReplay(raw: string, stage2Batch: number): { stage: Stage; every: number; batch: number } {
  const m = /^(\d+)(?::(\d+))?$/.exec(raw.trim());
  if (!m) throw new Error(`--stage3-replay must be N or N:B (every N-th step, B examples), got '${raw}'`);
  const every = Number(m[1]);
  const batch = m[2] === undefined ? stage2Batch : Number(m[2]);
  if (every < 2) throw new Error(`--stage3-replay: N must be ≥ 2, got ${every}`);
  if (batch < 2) throw new Error(`--stage3-replay: B must be ≥ 2 (contrastive batches need negatives), got ${batch}`);
  return { stage: 2, every, batch };
}

/** `--stage3-weights text+image=2,video=0.5` (or `--stage2-weights …`): relative task frequencies by modality signature. */
export function parseTaskWeights(raw: string, flag = '--stage3-weights'): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of raw.split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^([a-z]+(?:\+[a-z]+)*)=([0-9.eE+-]+)$/.exec(part);
    const w = m ? Number(m[2]) : NaN;
    if (!m || !Number.isFinite(w) || w < 0) throw new Error(`${flag}: expected SIGNATURE=W,… with W ≥ 0 (e.g. text+image=2,video=0.5), got '${part}'`);
    out[m[1]!] = w;
  }
  return out;
}

/** `--task-freeze 2:image+video=encoders.image.,heads.image.`: prefixes held fixed in one task of one stage. */
export function parseTaskFreeze(raw: string): { stage: Stage; signature: string; prefixes: string[] } {
  const m = /^([123]):([a-z]+(?:\+[a-z]+)*)=(.+)$/.exec(raw.trim());
  const prefixes = m ? m[3]!.split(',').map((p) => p.trim()).filter(Boolean) : [];
  if (!m || prefixes.length === 0) throw new Error(`--task-freeze: expected STAGE:SIGNATURE=PREFIX,… (e.g. 2:image+video=encoders.image.,heads.image.), got '${raw}'`);
  return { stage: Number(m[1]) as Stage, signature: m[2]!, prefixes };
}

export const trainCommand: Command = {
  name: 'train',
  summary: 'train a model in three stages (unimodal, contrastive, instruction tuning) on a manifest',
  help: `Usage: mixmodal train --config NAME|FILE --data manifest.jsonl --out DIR [options]

Stages: 1 = unimodal self-supervised (text next-token, masked image/audio/video
reconstruction), 2 = contrastive alignment (symmetric InfoNCE between every pair
of modalities), 3 = instruction tuning (captions and answers through the decoder).
Every step adds the MoE load-balancing and z-losses where MoE layers run.

Options:
  --config NAME|FILE     model architecture: a name under configs/models (mm-tiny, mm-small, mm-base) or a JSON file
  --data FILE            JSON Lines manifest (see README)
  --out DIR              run folder: config.json, tokenizer.json, checkpoint.safetensors, metrics.jsonl
  --stages LIST          stages to run, e.g. 1,2,3 (default) or 3
  --steps N|S:N,...      optimizer steps per stage (default 1:200,2:200,3:400)
  --lr X|S:X,...         peak learning rate per stage (default 1:1e-3,2:5e-4,3:5e-4)
  --batch B|S:B,...      examples per batch, for every stage or per stage (default 16)
  --seed S               initialisation, data order, masks and noise (default 0)
  --eval-every N         validate every N steps (default 100; always at the end of a stage)
  --checkpoint-every N   write a checkpoint every N steps (default 100; also at stage ends and on Ctrl-C)
  --stage3-freeze LIST   parameter path prefixes fixed during stage 3, e.g. encoders.,heads. (keeps retrieval as stage 2 left it);
                         a fixed media encoder that no replay trains runs once per media item, its output reused
  --recompute-features   run fixed encoders at every step anyway (the same losses; for comparing speed)
  --stage3-replay N[:B]  every N-th step of stage 3 is a stage-2 contrastive batch (of B examples; default
                         stage 2's batch), so the encoders can keep training without losing the alignment
  --stage3-weights LIST  how often each stage-3 task comes up, by the modalities it reads, e.g.
                         text+image=2,video=0.5 (default 1 each: every example once per epoch)
  --stage2-weights LIST  the same for stage 2's contrastive tasks, e.g. image+video=0.5
  --task-freeze S:SIG=P,…  parameter prefixes fixed in one task of stage S only (repeatable), e.g.
                         2:image+video=encoders.image.,heads.image. makes the fixed image tower the
                         teacher of the video tower in their pairs (locked-image tuning, LiT)
  --tokenizer FILE       use this tokenizer instead of training one on the data
  --resume               continue the run in --out from its checkpoint
  --extend               continue a finished stage to a larger --steps, e.g. a finished run with
                         --steps 3:4500 after 3000 (implies --resume; that stage's learning-rate
                         schedule is recomputed for the new total)
  --skip-bad             skip bad manifest lines (and report them) instead of stopping
  --limit N              use at most N examples per split (quick trials)
  --threads N            ONNX Runtime threads (default: cores)
  --profile DIR          write each training session's ONNX Runtime profile to DIR when training ends
                         (read with: npx tsx scripts/ort-profile-summary.ts FILE)
  -h, --help             show this help

Example:
  mixmodal train --config mm-small --data data/synth/manifest.jsonl --out runs/demo --steps 1:300,2:400,3:1500`,
  options: {
    config: { type: 'string' },
    data: { type: 'string' },
    out: { type: 'string' },
    stages: { type: 'string' },
    steps: { type: 'string' },
    lr: { type: 'string' },
    batch: { type: 'string' },
    seed: { type: 'string' },
    'eval-every': { type: 'string' },
    'checkpoint-every': { type: 'string' },
    tokenizer: { type: 'string' },
    'stage3-freeze': { type: 'string' },
    'recompute-features': { type: 'boolean' },
    'stage3-replay': { type: 'string' },
    'stage3-weights': { type: 'string' },
    'stage2-weights': { type: 'string' },
    'task-freeze': { type: 'string', multiple: true },
    resume: { type: 'boolean' },
    extend: { type: 'boolean' },
    'skip-bad': { type: 'boolean' },
    limit: { type: 'string' },
    threads: { type: 'string' },
    profile: { type: 'string' },
  },
  async run({ values }) {
    for (const k of ['config', 'data', 'out']) if (!values[k]) throw new Error(`--${k} is required (see --help)`);
    const stages = parseStages(values.stages as string | undefined);
    const steps = parsePerStage(values.steps as string | undefined, 'steps', { 1: 200, 2: 200, 3: 400 }, true);
    const lrs = parsePerStage(values.lr as string | undefined, 'lr', { 1: 1e-3, 2: 5e-4, 3: 5e-4 }, false);
    const batches = parsePerStage(values.batch as string | undefined, 'batch', { 1: 16, 2: 16, 3: 16 }, true);
    for (const s of [1, 2, 3] as Stage[]) if (batches[s] < 2) throw new Error(`--batch must be ≥ 2, got ${batches[s]} for stage ${s}`);
    const stageSettings = Object.fromEntries(([1, 2, 3] as Stage[]).map((s) => [s, { steps: steps[s], lr: lrs[s], batch: batches[s] }])) as Record<Stage, StageSettings>;
    const freeze = values['stage3-freeze'] as string | undefined;
    if (freeze) stageSettings[3].freeze = freeze.split(',').map((p) => p.trim()).filter(Boolean);
    const replay = values['stage3-replay'] as string | undefined;
    if (replay !== undefined) stageSettings[3].replay = parseReplay(replay, batches[2]);
    const weights = values['stage3-weights'] as string | undefined;
    if (weights !== undefined) stageSettings[3].weights = parseTaskWeights(weights);
    const weights2 = values['stage2-weights'] as string | undefined;
    if (weights2 !== undefined) stageSettings[2].weights = parseTaskWeights(weights2, '--stage2-weights');
    for (const raw of (values['task-freeze'] as string[] | undefined) ?? []) {
      const { stage, signature, prefixes } = parseTaskFreeze(raw);
      const st = stageSettings[stage];
      st.taskFreeze = { ...st.taskFreeze, [signature]: [...(st.taskFreeze?.[signature] ?? []), ...prefixes] };
    }
    let bar: ProgressBar | null = null;
    let barStage = 0;
    let trainer: { interrupt(): void } | null = null;
    const onSigint = () => {
      process.stderr.write('\nCtrl-C: saving a checkpoint after this step…\n');
      trainer?.interrupt();
    };
    process.once('SIGINT', onSigint);
    try {
      const r = await runTraining(
        {
          rawConfig: readModelConfigJson(values.config as string),
          data: values.data as string,
          out: values.out as string,
          stages,
          stageSettings,
          batch: batches[1],
          seed: numberOption(values, 'seed', 0, { integer: true }),
          evalEvery: numberOption(values, 'eval-every', 100, { min: 0, integer: true }),
          checkpointEvery: numberOption(values, 'checkpoint-every', 100, { min: 0, integer: true }),
          tokenizer: values.tokenizer as string | undefined,
          resume: !!values.resume || !!values.extend,
          extend: !!values.extend,
          skipBad: !!values['skip-bad'],
          limit: values.limit === undefined ? undefined : numberOption(values, 'limit', 0, { min: 1, integer: true }),
          threads: values.threads === undefined ? undefined : numberOption(values, 'threads', 2, { min: 1, integer: true }),
          profileDir: values.profile as string | undefined,
          reuseEncoderFeatures: !values['recompute-features'],
        },
        {
          onLoad: (split, n) => process.stderr.isTTY && process.stderr.write(`\rloading ${split}: ${n} examples`),
          onTrainer: (t) => (trainer = t),
          onLog: (line) => process.stderr.write(`\n${line}\n`),
          onStep: (s) => {
            if (s.stage !== barStage) {
              bar?.finish();
              bar = new ProgressBar(`stage ${s.stage}`, s.steps);
              barStage = s.stage;
            }
            const terms = Object.fromEntries(Object.entries(s.metrics).filter(([k]) => k !== 'logit_scale').map(([k, v]) => [k, v]));
            bar!.update(s.step, { loss: s.loss, ...terms, 'ex/s': s.examplesPerSecond, task: s.task });
          },
          onEval: (stage, step, val) => process.stderr.write(`\n[val] stage ${stage} step ${step}: ${Object.entries(val).map(([k, v]) => `${k} ${v.toFixed(4)}`).join('  ')}\n`),
        },
      );
      (bar as ProgressBar | null)?.finish();
      if (r.status === 'interrupted') console.log(`interrupted: checkpoint saved in ${values.out}; continue with --resume`);
      else if (r.status === 'stopped') return 1;
      else console.log(`finished in ${r.seconds.toFixed(0)} s; run folder ${values.out}`);
      return 0;
    } finally {
      process.removeListener('SIGINT', onSigint);
    }
  },
};
