/**
 * The order of batches, a pure function of (seed, stage, step): each epoch
 * shuffles every task group, cuts it into batches, and shuffles the batches
 * of all groups together. A resumed run asks for the same steps and gets the
 * same batches.
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
  ) {
    if (batchSize < 2) throw new Error(`batch size must be ≥ 2, got ${batchSize}`);
    this.perEpoch = groups.reduce((n, g) => n + batchesIn(g.samples.length, batchSize), 0);
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

  private plan(epoch: number): ScheduledBatch[] {
    const rng = new Random(this.seed).fork(this.stream).fork(epoch);
    const batches: ScheduledBatch[] = [];
    this.groups.forEach((g, gi) => {
      const order = shuffle([...g.samples.keys()], rng.fork(gi));
      const n = batchesIn(order.length, this.batchSize);
      for (let b = 0; b < n; b++) {
        const idx = order.slice(b * this.batchSize, (b + 1) * this.batchSize);
        batches.push({ key: g.key, samples: idx.map((i) => g.samples[i]!), epoch });
      }
    });
    return shuffle(batches, rng.fork('batches'));
  }
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
