/**
 * When a generation encode may run while rows are decoding. The encode
 * graph is compute-bound and costs far less per row in big batches (text,
 * 2 ONNX Runtime threads: about 1.1 ms per row at 8 rows, 0.8 ms at 32),
 * while a decode step costs little per row. Encoding whatever arrived during
 * the last decode step (the plain queue delay) kept encode batches at ~7
 * rows under load; holding a group while the decoder has work loses no
 * machine time (the loop runs decode steps meanwhile) and lets it grow.
 *
 * A group waits while it is smaller than the next decode batch (rows
 * decoding or about to join) and than its cap, for at most `maxSteps`
 * decode steps, which bounds the extra latency at light load to a few
 * steps; with no rows decoding nothing is held (the queue delay rules).
 */
export class EncodeHold {
  private steps = 0;
  /** Decode-step count when each held group started waiting. */
  private readonly since = new Map<string, number>();

  constructor(private readonly maxSteps: number) {}

  /** A decode step was scheduled. */
  stepped(): void {
    this.steps++;
  }

  /** Whether the group `key` of `waiting` requests (at most `cap` fit now) waits while `decoding` rows run. */
  holds(key: string, waiting: number, cap: number, decoding: number): boolean {
    if (this.maxSteps > 0 && decoding > 0 && waiting > 0 && waiting < cap && waiting < decoding) {
      const since = this.since.get(key) ?? this.steps;
      if (this.steps - since < this.maxSteps) {
        this.since.set(key, since);
        return true;
      }
    }
    this.since.delete(key);
    return false;
  }
}
