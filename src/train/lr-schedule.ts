/** Learning rate: linear warm-up then cosine decay to a floor (Loshchilov & Hutter 2017, SGDR, eq. 5, one cycle). */
export interface LrSchedule {
  /** Peak learning rate. */
  peak: number;
  /** Steps of linear warm-up from peak/warmup to peak. */
  warmup: number;
  /** Total steps of the schedule. */
  total: number;
  /** The rate at the end, as a fraction of the peak (default 0.1). */
  floor?: number;
}

/** Learning rate of 0-based step `step`. */
export function learningRate(s: LrSchedule, step: number): number {
  const floor = s.floor ?? 0.1;
  if (step < s.warmup) return (s.peak * (step + 1)) / s.warmup;
  const span = Math.max(1, s.total - s.warmup);
  const progress = Math.min(1, (step - s.warmup) / span);
  return s.peak * (floor + (1 - floor) * 0.5 * (1 + Math.cos(Math.PI * progress)));
}
