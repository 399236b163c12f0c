/** Small statistics and machine facts shared by the benchmarks. */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

export interface MachinePeak {
  cpu: string;
  cores: number;
  mhz: number;
  /** cores × 32 fp32 FLOP/cycle (2 × 256-bit FMA) × clock. */
  peakGflops: number;
}

/** Peak fp32 FLOP/s of this machine from /proc/cpuinfo (2 AVX2 FMA units: 32 FLOP/cycle/core). */
export function machinePeak(): MachinePeak {
  const info = readFileSync('/proc/cpuinfo', 'utf8');
  const cpu = /model name\s*:\s*(.+)/.exec(info)?.[1]?.trim() ?? 'unknown';
  const mhz = Number(/cpu MHz\s*:\s*([\d.]+)/.exec(info)?.[1] ?? NaN);
  const cores = availableParallelism();
  return { cpu, cores, mhz, peakGflops: (cores * 32 * mhz) / 1000 };
}
