/**
 * The training loop over the three stages. Each stage draws batches from its
 * deterministic schedule, steps the batch's task session (all tasks share one
 * ParamStore), logs metrics as JSON Lines, evaluates on the validation split,
 * and writes checkpoints atomically. A checkpoint records where the run is
 * (stage, step), so `resume` continues on exactly the batches, masks, noise
 * and optimizer state an uninterrupted run would have used.
 */
import { appendFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BpeTokenizer } from '../data/tokenizer/tokenizer.js';
import type { ModelConfig } from '../model/config.js';
import { checkpointOf, loadCheckpoint, saveCheckpoint, storeOf } from '../runtime/checkpoint.js';
import { ParamStore } from '../runtime/param-store.js';
import { batchFeeds } from './batches.js';
import { EncoderFeatureCache, fixedEncoders } from './encoder-features.js';
import type { DatasetExample } from './dataset.js';
import { learningRate } from './lr-schedule.js';
import { taskId, type Stage, type TaskKey } from './objectives/objective.js';
import { BatchSchedule, checkTaskSignatures } from './schedule.js';
import { stageTasks } from './tasks.js';
import { TaskSessions } from './task-sessions.js';

export interface StageSettings {
  /** Optimizer steps of the stage. */
  steps: number;
  /** Peak learning rate. */
  lr: number;
  /** Examples per batch in this stage (default: the run's batch). */
  batch?: number;
  /**
   * Parameter path prefixes held fixed in this stage, e.g. ['encoders.', 'heads.']
   * in instruction tuning keeps the contrastively aligned towers (and so
   * retrieval) as stage 2 left them, as LLaVA freezes its vision encoder.
   */
  freeze?: string[];
  /**
   * More prefixes held fixed in one task of the stage only, by the task's
   * modality signature, e.g. { 'image+video': ['encoders.image.', 'heads.image.'] }
   * in stage 2 makes the image tower a fixed teacher of the video tower in
   * their pairs while the other pairs still train it: locked-image tuning
   * (LiT, Zhai et al. 2022) for one pair.
   */
  taskFreeze?: Record<string, string[]>;
  /**
   * Interleaves batches of an earlier stage: every `every`-th step of this
   * stage is a batch of stage `stage`'s tasks (its own schedule; `batch`
   * examples, default that stage's batch). Multi-task training in the manner
   * of BLIP (Li et al. 2022): replaying contrastive batches during instruction
   * tuning keeps the alignment while the encoders keep learning. Replayed
   * batches train what their own stage trains (its freeze list applies).
   */
  replay?: { stage: Stage; every: number; batch?: number };
  /**
   * How often each task of the stage comes up, by modality signature, e.g.
   * { 'text+image': 2, video: 0.5 } (default 1 each; see BatchSchedule).
   */
  weights?: Record<string, number>;
}

/** Which batch step `step` (0-based) of a stage runs: its own schedule's, or (every `every`-th step) the replayed stage's. */
export function replayPlan(step: number, every: number | undefined): { replay: boolean; index: number } {
  if (!every) return { replay: false, index: step };
  const replayed = Math.floor((step + 1) / every); // replay steps up to and including this one
  return (step + 1) % every === 0 ? { replay: true, index: replayed - 1 } : { replay: false, index: step - replayed };
}

/** Whether parameter `path` is held fixed in task `key` under its stage's settings (freeze, then taskFreeze). */
export function isFrozen(st: StageSettings, key: TaskKey, path: string): boolean {
  const prefixes = [...(st.freeze ?? []), ...(st.taskFreeze?.[key.signature.join('+')] ?? [])];
  return prefixes.some((prefix) => path.startsWith(prefix));
}

export interface TrainerOptions {
  /** Stages to run, in order (any of 1, 2, 3). */
  stages: Stage[];
  /** Steps and learning rate of each stage. */
  stageSettings: Record<Stage, StageSettings>;
  /** Examples per batch. */
  batch: number;
  /** Seed of initialisation, data order, masks and noise. */
  seed: number;
  /** Warm-up as a fraction of each stage's steps (default 0.05). */
  warmupFraction?: number;
  /** AdamW weight decay (default 0.01). */
  weightDecay?: number;
  /** Global gradient-norm clip (default 1). */
  clipGradNorm?: number;
  /** Evaluate on the validation split every this many steps (0 = only at the end of each stage). */
  evalEvery?: number;
  /** Validation batches per evaluation (default 8). */
  evalBatches?: number;
  /** Write a checkpoint every this many steps (and at the end of each stage). */
  checkpointEvery?: number;
  /** Continue from `runDir/checkpoint.safetensors`. */
  resume?: boolean;
  /**
   * With `resume`: continue the stage the checkpoint finished last (e.g. stage
   * 3 of a finished run) up to its new, larger `steps`. Its learning-rate
   * schedule is recomputed for the new total, so the steps added do not
   * follow the curve of a run asked for that many steps from the start.
   */
  extend?: boolean;
  /** ONNX Runtime threads (default: cores). */
  threads?: number;
  /** Write each session's ONNX Runtime profile here (runtime/ort-profile.ts), when training ends. */
  profileDir?: string;
  /** Stop after this many steps of this invocation (tests simulate an interruption with it). */
  maxStepsThisRun?: number;
  /**
   * Encode each media item once per stage when the stage holds that encoder
   * fixed and nothing in it trains it (train/encoder-features.ts); default
   * true. The losses are those of running the encoder every step.
   */
  reuseEncoderFeatures?: boolean;
}

export interface StepInfo {
  stage: Stage;
  step: number;
  steps: number;
  task: string;
  loss: number;
  metrics: Record<string, number>;
  lr: number;
  examplesPerSecond: number;
}

export interface TrainResult {
  /** Why the run ended. */
  status: 'finished' | 'interrupted' | 'stopped';
  store: ParamStore;
  /** Last loss of each stage that ran. */
  lastLoss: Partial<Record<Stage, number>>;
}

/** Where the run stands; saved in every checkpoint. */
interface Position {
  /** Index into options.stages of the stage in progress. */
  stageIndex: number;
  /** Completed steps of that stage. */
  step: number;
}

/**
 * The position `--extend` continues from: the last step of the stage just
 * finished (the one before `pos.stageIndex`), which must be asked for more
 * steps than it had (`stageSteps`, saved with the checkpoint).
 */
export function extendedPosition(pos: Position, stageSteps: Partial<Record<Stage, number>> | undefined, stages: readonly Stage[], settings: Record<Stage, StageSettings>): Position {
  if (pos.step !== 0 || pos.stageIndex === 0) throw new Error(`--extend continues a finished stage, but the checkpoint is at step ${pos.step} of stage ${stages[pos.stageIndex]}; continue it with --resume alone`);
  const stage = stages[pos.stageIndex - 1]!;
  const done = stageSteps?.[stage];
  if (done === undefined) throw new Error(`--extend: the checkpoint does not say how many steps stage ${stage} had (it was written before --extend existed)`);
  if (settings[stage].steps <= done) throw new Error(`--extend: stage ${stage} already has ${done} steps; ask for more with --steps ${stage}:N (N > ${done})`);
  return { stageIndex: pos.stageIndex - 1, step: done };
}

export const CHECKPOINT_FILE = 'checkpoint.safetensors';
export const METRICS_FILE = 'metrics.jsonl';

export class Trainer {
  private interrupted = false;

  constructor(
    readonly cfg: ModelConfig,
    readonly tokenizer: BpeTokenizer,
    readonly data: { train: DatasetExample[]; val: DatasetExample[] },
    readonly runDir: string,
    readonly o: TrainerOptions,
    readonly hooks: { onStep?: (s: StepInfo) => void; onEval?: (stage: Stage, step: number, val: Record<string, number>) => void; onLog?: (line: string) => void } = {},
  ) {
    if (tokenizer.vocabSize > cfg.core.vocabSize) {
      throw new Error(`the tokenizer has ${tokenizer.vocabSize} tokens but model ${cfg.core.name} has vocabSize ${cfg.core.vocabSize}`);
    }
  }

  /** Asks the loop to stop after the current step and save a checkpoint (e.g. on Ctrl-C). */
  interrupt(): void {
    this.interrupted = true;
  }

  async run(): Promise<TrainResult> {
    mkdirSync(this.runDir, { recursive: true });
    const ckptPath = join(this.runDir, CHECKPOINT_FILE);
    let store: ParamStore;
    let pos: Position = { stageIndex: 0, step: 0 };
    if (this.o.resume) {
      if (!existsSync(ckptPath)) throw new Error(`--resume: no checkpoint at ${ckptPath}`);
      const ck = await loadCheckpoint(ckptPath);
      const saved = ck.extra.position as Position | undefined;
      if (!saved || ck.extra.model !== this.cfg.core.name) throw new Error(`${ckptPath} is not a checkpoint of a ${this.cfg.core.name} training run`);
      store = storeOf(ck);
      pos = this.o.extend ? extendedPosition(saved, ck.extra.stageSteps as Partial<Record<Stage, number>> | undefined, this.o.stages, this.o.stageSettings) : saved;
      this.hooks.onLog?.(`${this.o.extend ? 'extending' : 'resuming'} stage ${this.o.stages[pos.stageIndex] ?? '(done)'} at step ${pos.step}`);
    } else {
      store = new ParamStore();
    }
    const tasks = new TaskSessions(this.cfg, store, {
      optimizer: { kind: 'adamw', weightDecay: this.o.weightDecay ?? 0.01 },
      clipGradNorm: this.o.clipGradNorm ?? 1,
      seed: this.o.seed,
      threads: this.o.threads,
      profileDir: this.o.profileDir,
      frozen: (key, path) => isFrozen(this.o.stageSettings[key.stage], key, path),
    });
    const stageSteps = Object.fromEntries(this.o.stages.map((st) => [st, this.o.stageSettings[st].steps]));
    const save = async (p: Position) => saveCheckpoint(ckptPath, checkpointOf(store, { model: this.cfg.core.name, position: p, seed: this.o.seed, stageSteps }));
    const lastLoss: Partial<Record<Stage, number>> = {};
    let stepsThisRun = 0;
    let featureCache: EncoderFeatureCache | undefined;
    try {
      for (let si = pos.stageIndex; si < this.o.stages.length; si++) {
        const stage = this.o.stages[si]!;
        const { steps, lr, batch = this.o.batch, replay, weights } = this.o.stageSettings[stage];
        const groups = stageTasks(stage, this.data.train);
        const schedule = new BatchSchedule(groups, batch, this.o.seed, stage, undefined, weights);
        checkTaskSignatures(groups, Object.keys(this.o.stageSettings[stage].taskFreeze ?? {}), stage, 'taskFreeze');
        if (replay && (replay.stage === stage || !Number.isInteger(replay.every) || replay.every < 2)) {
          throw new Error(`stage ${stage} replay: needs another stage and every ≥ 2 steps, got stage ${replay.stage} every ${replay.every}`);
        }
        const replaySchedule = replay
          ? new BatchSchedule(stageTasks(replay.stage, this.data.train), replay.batch ?? this.o.stageSettings[replay.stage].batch ?? this.o.batch, this.o.seed, replay.stage, `replay.s${stage}`, this.o.stageSettings[replay.stage].weights)
          : undefined;
        const lrs = { peak: lr, warmup: Math.max(1, Math.round((this.o.warmupFraction ?? 0.05) * steps)), total: steps };
        const start = si === pos.stageIndex ? pos.step : 0;
        const fixed = this.o.reuseEncoderFeatures === false ? [] : fixedEncoders(stage, this.o.stageSettings, this.cfg);
        await featureCache?.release();
        featureCache = fixed.length > 0 ? new EncoderFeatureCache(this.cfg, store, { threads: this.o.threads, ensureParams: (g) => tasks.ensureParams(g) }) : undefined;
        if (fixed.length > 0 && start < steps) this.hooks.onLog?.(`stage ${stage}: the ${fixed.join(', ')} encoder${fixed.length > 1 ? 's are' : ' is'} fixed; each media item is encoded once and its features reused`);
        for (let step = start; step < steps; step++) {
          const t0 = performance.now();
          const plan = replayPlan(step, replay?.every);
          const batch = plan.replay ? replaySchedule!.at(plan.index) : schedule.at(plan.index);
          const features = batch.key.task === 'instruct' ? fixed.filter((m) => batch.key.signature.includes(m)) : [];
          const session = await tasks.get(batch.key, features);
          const rate = learningRate(lrs, step);
          const feeds = batchFeeds(batch, this.cfg, this.tokenizer, { seed: this.o.seed, step, features });
          if (features.length > 0) Object.assign(feeds, await featureCache!.feeds(batch.samples.map((s) => s.example!), features));
          const r = await session.step(feeds, rate);
          if (!Number.isFinite(r.loss) || !Number.isFinite(r.gradNorm)) {
            this.hooks.onLog?.(`stopped: the loss became ${r.loss} at stage ${stage} step ${step + 1} (task ${taskId(batch.key)}); the last good checkpoint is ${ckptPath}`);
            return { status: 'stopped', store, lastLoss };
          }
          const metrics = Object.fromEntries(Object.entries(r.metrics).map(([k, v]) => [k, Number((v.data as Float32Array)[0])]));
          const info: StepInfo = { stage, step: step + 1, steps, task: taskId(batch.key), loss: r.loss, metrics, lr: rate, examplesPerSecond: (batch.samples.length * 1000) / (performance.now() - t0) };
          lastLoss[stage] = r.loss;
          this.log({ kind: 'train', ...info, gradNorm: r.gradNorm });
          this.hooks.onStep?.(info);
          stepsThisRun++;
          const done = step + 1 === steps;
          const evalEvery = this.o.evalEvery ?? 0;
          if (done || (evalEvery > 0 && (step + 1) % evalEvery === 0)) await this.validate(tasks, stage, step + 1);
          const ckEvery = this.o.checkpointEvery ?? 0;
          const next: Position = done ? { stageIndex: si + 1, step: 0 } : { stageIndex: si, step: step + 1 };
          const stop = this.interrupted || (this.o.maxStepsThisRun !== undefined && stepsThisRun >= this.o.maxStepsThisRun);
          if (done || stop || (ckEvery > 0 && (step + 1) % ckEvery === 0)) await save(next);
          if (stop) return { status: 'interrupted', store, lastLoss };
        }
      }
      return { status: 'finished', store, lastLoss };
    } finally {
      await featureCache?.release();
      await tasks.release();
    }
  }

  /** Mean validation loss of the stage's tasks over a few batches of the val split. */
  private async validate(tasks: TaskSessions, stage: Stage, step: number): Promise<void> {
    const groups = stageTasks(stage, this.data.val);
    if (groups.length === 0) return;
    let schedule: BatchSchedule;
    try {
      schedule = new BatchSchedule(groups, this.o.stageSettings[stage].batch ?? this.o.batch, this.o.seed + 1, stage);
    } catch {
      return; // too few validation samples for one batch
    }
    const n = Math.min(this.o.evalBatches ?? 8, schedule.perEpoch);
    const sums: Record<string, number> = {};
    for (let i = 0; i < n; i++) {
      const batch = schedule.at(i);
      const out = await tasks.evaluate(batch.key, batchFeeds(batch, this.cfg, this.tokenizer, { seed: this.o.seed + 1, step: i }));
      for (const [k, v] of Object.entries(out)) sums[k] = (sums[k] ?? 0) + v / n;
    }
    this.log({ kind: 'eval', stage, step, ...sums });
    this.hooks.onEval?.(stage, step, sums);
  }

  private log(record: Record<string, unknown>): void {
    appendFileSync(join(this.runDir, METRICS_FILE), `${JSON.stringify({ time: new Date().toISOString(), ...record })}\n`);
  }
}
