/**
 * Messages between the pool and a model worker leave in batches: whatever
 * one thread sends during a turn goes out as one postMessage (one structured
 * clone, one wake-up of the other thread) when the turn ends. A decode step
 * that finishes twenty requests, or a poll phase that parsed twenty HTTP
 * requests, costs one message instead of twenty.
 */
export class Outbox<M> {
  private pending: M[] = [];

  constructor(
    /** Posts one batch (in send order). */
    private readonly post: (batch: M[]) => void,
    /** When the batch leaves: queueMicrotask (end of this task) or setImmediate (end of this event-loop turn). */
    private readonly schedule: (flush: () => void) => void = queueMicrotask,
  ) {}

  send(m: M): void {
    if (this.pending.push(m) === 1) this.schedule(() => this.flush());
  }

  /** Posts what is pending now (before the thread exits). */
  flush(): void {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.post(batch);
  }
}
