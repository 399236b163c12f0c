/**
 * Reading ONNX Runtime's profile (SessionOptions.profilePrefix): where a
 * graph's run time goes, by op type and by node, per run. This is how the
 * training step's 15% in ReduceSum (a weight gradient summed over the batch)
 * was found; `scripts/ort-profile-summary.ts` prints it for a profile file.
 */

/** One event of ONNX Runtime's profile (Chrome trace format); kernels are `cat: 'Node'`, `name: '<node>_kernel_time'`. */
export interface ProfileEvent {
  cat: string;
  name: string;
  /** Microseconds. */
  dur?: number;
  args?: { op_name?: string; input_type_shape?: Record<string, number[]>[]; output_type_shape?: Record<string, number[]>[] };
}

export interface ProfileSummary {
  /** `model_run` events: how many runs the profile holds. */
  runs: number;
  /** Mean wall time of a run, ms. */
  msPerRun: number;
  /** Kernel time per run by op type, ms, largest first. */
  byOp: { op: string; msPerRun: number; share: number }[];
  /** Kernel time per run by node, ms, largest first (at most `topNodes`). */
  byNode: { node: string; op: string; msPerRun: number }[];
}

const KERNEL_SUFFIX = '_kernel_time';

/** Kernel events of `events` (one per node execution). */
export function kernelEvents(events: readonly ProfileEvent[]): (ProfileEvent & { node: string; op: string })[] {
  return events
    .filter((e) => e.cat === 'Node' && e.name.endsWith(KERNEL_SUFFIX) && e.args?.op_name)
    .map((e) => ({ ...e, node: e.name.slice(0, -KERNEL_SUFFIX.length), op: e.args!.op_name! }));
}

/** Sums kernel time by op type and by node, per run. */
export function summarizeProfile(events: readonly ProfileEvent[], topNodes = 20): ProfileSummary {
  const runEvents = events.filter((e) => e.cat === 'Session' && e.name === 'model_run');
  const runs = Math.max(1, runEvents.length);
  const byOp = new Map<string, number>();
  const byNode = new Map<string, { op: string; us: number }>();
  let total = 0;
  for (const k of kernelEvents(events)) {
    const us = k.dur ?? 0;
    total += us;
    byOp.set(k.op, (byOp.get(k.op) ?? 0) + us);
    const n = byNode.get(k.node) ?? { op: k.op, us: 0 };
    n.us += us;
    byNode.set(k.node, n);
  }
  return {
    runs: runEvents.length,
    msPerRun: runEvents.reduce((s, e) => s + (e.dur ?? 0), 0) / runs / 1000,
    byOp: [...byOp].sort((a, b) => b[1] - a[1]).map(([op, us]) => ({ op, msPerRun: us / runs / 1000, share: total > 0 ? us / total : 0 })),
    byNode: [...byNode]
      .sort((a, b) => b[1].us - a[1].us)
      .slice(0, topNodes)
      .map(([node, { op, us }]) => ({ node, op, msPerRun: us / runs / 1000 })),
  };
}
