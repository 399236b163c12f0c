/**
 * Counting work, not time: runs a model once with ONNX Runtime's profiler and
 * sums the multiply-add FLOPs of its matrix products from the shapes the
 * profiler recorded. Repeatable on a noisy machine, unlike a stopwatch.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HostTensor } from '../graph/host-tensor.js';
import { kernelEvents, type ProfileEvent } from './ort-profile.js';
import { Session } from './session.js';

const MATMUL_OPS = new Set(['MatMul', 'FusedMatMul', 'Gemm']);

export interface WorkCount {
  /** 2·M·N·K summed over MatMul/FusedMatMul/Gemm nodes. */
  matmulFlops: number;
  /** Nodes executed, by op type. */
  nodesByOp: Record<string, number>;
}

/** Runs `model` once on `feeds` with profiling and counts its matrix-product FLOPs. */
export async function countWork(model: Uint8Array, feeds: Record<string, HostTensor>): Promise<WorkCount> {
  const dir = mkdtempSync(join(tmpdir(), 'mixmodal-profile-'));
  try {
    const session = await Session.create(model, { threads: 1, profilePrefix: join(dir, 'p') });
    await session.run(feeds);
    await session.release(); // writes the profile
    const file = readdirSync(dir).find((f) => f.endsWith('.json'));
    if (!file) throw new Error('ONNX Runtime wrote no profile');
    return countFromProfile(JSON.parse(readFileSync(join(dir, file), 'utf8')) as ProfileEvent[]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Sums 2·numel(output)·K for each matrix product, K = the first input's last dim. */
export function countFromProfile(events: ProfileEvent[]): WorkCount {
  let matmulFlops = 0;
  const nodesByOp: Record<string, number> = {};
  for (const e of kernelEvents(events)) {
    nodesByOp[e.op] = (nodesByOp[e.op] ?? 0) + 1;
    if (!MATMUL_OPS.has(e.op)) continue;
    const a = Object.values(e.args!.input_type_shape?.[0] ?? {})[0];
    const y = Object.values(e.args!.output_type_shape?.[0] ?? {})[0];
    if (!a || !y) continue;
    matmulFlops += 2 * y.reduce((p, d) => p * d, 1) * a[a.length - 1]!;
  }
  return { matmulFlops, nodesByOp };
}
