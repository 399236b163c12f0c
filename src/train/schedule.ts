/**
 * The order of batches, a pure function of (seed, stage, step): each epoch
 * shuffles every task group, cuts it into batches, and shuffles the batches
 * of all groups together. A resumed run asks for the same steps and gets the
 * same batches.
 *
 * Task weights change how often a task comes up: a group of weight w gives
 * round(w · n) samples per epoch (w = 2: every sample twice, each pass its own
 * shuffle; w = 0.5: a random half), so the scarce or hard tasks can get more
 * of a fixed step budget without duplicating data. Weight 1 is the plain
 * schedule, batch for batch.
 */
import { Random } from '../graph/random.js';
import type { Sample, TaskGroup } from './tasks.js';
import type { TaskKey } from './objectives/objective.js';

export interface ScheduledBatch {
  key: TaskKey;
  samples: Sample[];
  /** Epoch of the stage this batch belongs to. */
  epoch: number;
}

export class BatchSchedule {
  private readonly epochs = new Map<number, ScheduledBatch[]>();
  /** Batches in one epoch. */
  readonly perEpoch: number;

  constructor(
    readonly groups: readonly TaskGroup[],
    readonly batchSize: number,
    readonly seed: number,
    readonly stage: number,
    /** Names the random stream (default `schedule.s<stage>`), e.g. a replay of a stage inside another. */
    readonly stream = `schedule.s${stage}`,
    /** Relative frequency of each task, by modality signature ('text+image'); default 1. */
    readonly weights: Readonly<Record<string, number>> = {},
  ) {
    if (batchSize < 2) throw new Error(`batch size must be ≥ 2, got ${batchSize}`);
    validateWeights(groups, weights, stage);
    this.perEpoch = groups.reduce((n, g) => n + passSizes(this.samplesPerEpoch(g), g.samples.length).reduce((k, size) => k + batchesIn(size, batchSize), 0), 0);
    if (this.perEpoch === 0) throw new Error(`stage ${stage} has no training samples in the data`);
  }

  /** The batch of 0-based step `step` within the stage. */
  at(step: number): ScheduledBatch {
    const epoch = Math.floor(step / this.perEpoch);
    let plan = this.epochs.get(epoch);
    if (!plan) {
      plan = this.plan(epoch);
      this.epochs.clear(); // keep one epoch's plan at a time
      this.epochs.set(epoch, plan);
    }
    return plan[step % this.perEpoch]!;
  }

  /** Samples of group `g` in one epoch: round(weight · size). */
  private samplesPerEpoch(g: TaskGroup): number {
    return Math.round((this.weights[g.key.signature.join('+')] ?? 1) * g.samples.length);
  }

  private plan(epoch: number): ScheduledBatch[] {
    const rng = new Random(this.seed).fork(this.stream).fork(epoch);
    const batches: ScheduledBatch[] = [];
    this.groups.forEach((g, gi) => {
      // Pass 0 is the unweighted shuffle; each further pass (weight > 1) has its own stream and
      // its own batches, so no batch holds a sample twice.
      passSizes(this.samplesPerEpoch(g), g.samples.length).forEach((size, pass) => {
        const order = shuffle([...g.samples.keys()], pass === 0 ? rng.fork(gi) : rng.fork(gi).fork(`pass${pass}`)).slice(0, size);
        for (let b = 0; b < batchesIn(order.length, this.batchSize); b++) {
          const idx = order.slice(b * this.batchSize, (b + 1) * this.batchSize);
          batches.push({ key: g.key, samples: idx.map((i) => g.samples[i]!), epoch });
        }
      });
    });
    return shuffle(batches, rng.fork('batches'));
  }
}

/** Every signature in `signatures` (e.g. the keys of a per-task setting, `what`) names a task of the stage. */
export function checkTaskSignatures(groups: readonly TaskGroup[], signatures: Iterable<string>, stage: number, what: string): void {
  const known = groups.map((g) => g.key.signature.join('+'));
  for (const sig of signatures) {
    if (!known.includes(sig)) throw new Error(`stage ${stage} ${what}: no task reads '${sig}'; its tasks read ${known.map((k) => `'${k}'`).join(', ')}`);
  }
}

/** Every weight names a task of the stage and is a finite number ≥ 0. */
function validateWeights(groups: readonly TaskGroup[], weights: Readonly<Record<string, number>>, stage: number): void {
  checkTaskSignatures(groups, Object.keys(weights), stage, 'task weight');
  for (const [sig, w] of Object.entries(weights)) {
    if (!Number.isFinite(w) || w < 0) throw new Error(`stage ${stage} task weight of '${sig}' must be a number ≥ 0, got ${w}`);
  }
}

/** Sizes of the passes over a group of `size` samples that give `count` samples: full passes, then the rest. */
function passSizes(count: number, size: number): number[] {
  if (size === 0) return [];
  const sizes = Array<number>(Math.floor(count / size)).fill(size);
  if (count % size > 0) sizes.push(count % size);
  return sizes;
}

/** Full batches, plus a last partial one when it has at least 2 samples (contrastive needs negatives). */
function batchesIn(n: number, b: number): number {
  return Math.floor(n / b) + (n % b >= 2 ? 1 : 0);
}

/** Fisher–Yates shuffle in place. */
export function shuffle<T>(xs: T[], rng: Random): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
  return xs;
}
