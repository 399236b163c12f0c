/**
 * The dynamic batcher's queue: waiting requests grouped by queue key
 * (modality signature, routing variant), each group FIFO per priority level.
 * `pick` applies the batching policy (Triton-style): a group runs when it
 * holds a full batch, or a preferred batch size, or its oldest request has
 * waited the max queue delay; among runnable groups the highest priority,
 * then the oldest, goes first.
 */
import type { WorkItem } from './work-item.js';

export interface BatchPolicy {
  maxBatch: number;
  /** Ascending; [] = none. */
  preferredBatchSizes: number[];
  maxQueueDelayMs: number;
}

interface Group {
  key: string;
  /** levels[p] = waiting items of priority p, oldest first. */
  levels: WorkItem[][];
  size: number;
}

export class RequestQueue {
  private readonly groups = new Map<string, Group>();
  private count = 0;

  constructor(private readonly priorityLevels: number) {}

  get size(): number {
    return this.count;
  }

  push(item: WorkItem): void {
    let g = this.groups.get(item.key);
    if (!g) {
      g = { key: item.key, levels: Array.from({ length: this.priorityLevels }, () => []), size: 0 };
      this.groups.set(item.key, g);
    }
    g.levels[Math.min(this.priorityLevels - 1, Math.max(0, item.priority))]!.push(item);
    g.size++;
    this.count++;
  }

  /** Removes the items `drop` says so (settled, expired, aborted); returns them. */
  sweep(drop: (item: WorkItem) => boolean): WorkItem[] {
    const out: WorkItem[] = [];
    for (const g of this.groups.values()) {
      for (let p = 0; p < g.levels.length; p++) {
        const level = g.levels[p]!;
        if (!level.some(drop)) continue;
        g.levels[p] = level.filter((it) => {
          if (!drop(it)) return true;
          out.push(it);
          return false;
        });
      }
      g.size = g.levels.reduce((s, l) => s + l.length, 0);
    }
    this.count -= out.length;
    this.prune();
    return out;
  }

  /**
   * The next batch to run under `policy` at time `now` (performance.now ms),
   * taken off the queue; null when no group is runnable yet. `limit(key)`
   * caps a group's batch (e.g. 1 for route explanations, 0 = not now);
   * `flush` ignores the queue delay (draining).
   */
  pick(now: number, policy: BatchPolicy, limit: (key: string) => number, flush = false): WorkItem[] | null {
    let best: { g: Group; n: number; prio: number; oldest: number } | null = null;
    for (const g of this.groups.values()) {
      const cap = Math.min(policy.maxBatch, limit(g.key));
      if (g.size === 0 || cap <= 0) continue;
      const oldest = this.oldest(g);
      let n = 0;
      if (g.size >= cap) n = cap;
      else if (flush || now - oldest >= policy.maxQueueDelayMs) n = g.size;
      else n = largestAtMost(policy.preferredBatchSizes, g.size);
      if (n === 0) continue;
      const prio = this.topPriority(g);
      if (!best || prio > best.prio || (prio === best.prio && oldest < best.oldest)) best = { g, n, prio, oldest };
    }
    if (!best) return null;
    return this.take(best.g, best.n);
  }

  /** Milliseconds from `now` until some group's oldest request reaches the max queue delay (Infinity if none waits). */
  msUntilDue(now: number, maxQueueDelayMs: number): number {
    let min = Infinity;
    for (const g of this.groups.values()) if (g.size > 0) min = Math.min(min, this.oldest(g) + maxQueueDelayMs - now);
    return Math.max(0, min);
  }

  /** Requests waiting in the group of `key` (0 if none). */
  sizeOf(key: string): number {
    return this.groups.get(key)?.size ?? 0;
  }

  /** Every waiting item (for deadlines and draining). */
  *items(): IterableIterator<WorkItem> {
    for (const g of this.groups.values()) for (const level of g.levels) yield* level;
  }

  private take(g: Group, n: number): WorkItem[] {
    const out: WorkItem[] = [];
    for (let p = g.levels.length - 1; p >= 0 && out.length < n; p--) {
      const level = g.levels[p]!;
      const k = Math.min(level.length, n - out.length);
      out.push(...level.splice(0, k));
    }
    g.size -= out.length;
    this.count -= out.length;
    this.prune();
    return out;
  }

  private oldest(g: Group): number {
    let t = Infinity;
    for (const level of g.levels) if (level.length > 0) t = Math.min(t, level[0]!.enqueuedAt);
    return t;
  }

  private topPriority(g: Group): number {
    for (let p = g.levels.length - 1; p >= 0; p--) if (g.levels[p]!.length > 0) return p;
    return -1;
  }

  private prune(): void {
    for (const [k, g] of this.groups) if (g.size === 0) this.groups.delete(k);
  }
}

function largestAtMost(sorted: number[], n: number): number {
  let best = 0;
  for (const s of sorted) if (s <= n) best = s;
  return best;
}
