/**
 * A plain-TypeScript float64 reference of the MoE forward (token choice and
 * expert choice), the yardstick of the layer's tests. Row-major arrays; one
 * loop per formula, no cleverness.
 */
import type { HostTensor } from '../graph/host-tensor.js';
import { EXPERT_PARAM_NAMES } from './experts.js';

export interface ExpertWeights {
  w1: ArrayLike<number>; // [D, H]
  b1: ArrayLike<number>; // [H]
  w2: ArrayLike<number>; // [H, D]
  b2: ArrayLike<number>; // [D]
}

export interface MoeWeights {
  routerWeight: ArrayLike<number>; // [D, E]
  routerBias?: ArrayLike<number>; // [E]
  experts: ExpertWeights[];
}

/** erf by its Maclaurin series with positive terms (2/√π·e^(−x²)·Σ 2ⁿx^(2n+1)/(2n+1)!!), ~1e-15 for |x| ≤ 5. */
export function erf(x: number): number {
  if (Math.abs(x) > 5) return Math.sign(x);
  let term = x;
  let sum = x;
  for (let n = 1; n < 200 && Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
    term *= (2 * x * x) / (2 * n + 1);
    sum += term;
  }
  return (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x) * sum;
}

export const gelu = (x: number): number => 0.5 * x * (1 + erf(x / Math.SQRT2));

/** y = x·W + b for one row x [I], W [I, O]. */
export function linearRow(x: ArrayLike<number>, w: ArrayLike<number>, b: ArrayLike<number> | undefined, outF: number): number[] {
  const inF = x.length;
  const y = Array.from({ length: outF }, (_, o) => b?.[o] ?? 0);
  for (let i = 0; i < inF; i++) for (let o = 0; o < outF; o++) y[o]! += x[i]! * w[i * outF + o]!;
  return y;
}

export function ffnRow(x: ArrayLike<number>, e: ExpertWeights, hidden: number): number[] {
  return linearRow(linearRow(x, e.w1, e.b1, hidden).map(gelu), e.w2, e.b2, x.length);
}

export const softmaxRow = (z: readonly number[]): number[] => {
  const m = Math.max(...z);
  const ex = z.map((v) => Math.exp(v - m));
  const s = ex.reduce((a, b) => a + b, 0);
  return ex.map((v) => v / s);
};

export const logSumExpRow = (z: readonly number[]): number => {
  const m = Math.max(...z);
  return m + Math.log(z.reduce((a, v) => a + Math.exp(v - m), 0));
};

export interface ReferenceOptions {
  hidden: number;
  k: number;
  normalizeTopK: boolean;
  /** Expert capacity C (assignments per expert); Infinity = unlimited. */
  capacity: number;
  routing?: 'token-choice' | 'expert-choice';
  /** false = padding (not routed). */
  valid?: readonly boolean[];
}

export interface ReferenceResult {
  y: number[][];
  logits: number[][];
  probs: number[][];
  /** Kept assignments per expert. */
  tokensPerExpert: number[];
  /** kept[n][e]: token n was processed by expert e. */
  kept: boolean[][];
  /** Token-choice assignments (expert of each of a token's k choices, best first). */
  choices: number[][];
}

/** The MoE forward on tokens x [N][D]. */
export function moeReference(x: readonly (readonly number[])[], w: MoeWeights, o: ReferenceOptions): ReferenceResult {
  const E = w.experts.length;
  const N = x.length;
  const valid = o.valid ?? x.map(() => true);
  const logits = x.map((row) => linearRow(row, w.routerWeight, w.routerBias, E));
  const probs = logits.map(softmaxRow);
  const y = x.map((row) => row.map(() => 0));
  const kept = x.map(() => Array<boolean>(E).fill(false));
  const tokensPerExpert = Array<number>(E).fill(0);
  const choices: number[][] = [];
  const addExpert = (n: number, e: number, gate: number) => {
    const out = ffnRow(x[n]!, w.experts[e]!, o.hidden);
    out.forEach((v, d) => (y[n]![d]! += gate * v));
    kept[n]![e] = true;
    tokensPerExpert[e]! += 1;
  };
  if (o.routing === 'expert-choice') {
    for (let e = 0; e < E; e++) {
      const order = [...Array(N).keys()].filter((n) => valid[n]).sort((a, b) => probs[b]![e]! - probs[a]![e]! || a - b);
      for (const n of order.slice(0, o.capacity)) addExpert(n, e, probs[n]![e]!);
    }
    return { y, logits, probs, tokensPerExpert, kept, choices };
  }
  for (let n = 0; n < N; n++) {
    const order = [...Array(E).keys()].sort((a, b) => probs[n]![b]! - probs[n]![a]! || a - b);
    choices.push(order.slice(0, o.k));
  }
  const used = Array<number>(E).fill(0);
  for (let j = 0; j < o.k; j++) {
    for (let n = 0; n < N; n++) {
      if (!valid[n]) continue;
      const e = choices[n]![j]!;
      if (used[e]! >= o.capacity) continue;
      used[e]! += 1;
      const top = choices[n]!.map((c) => probs[n]![c]!);
      const norm = o.normalizeTopK ? top.reduce((a, b) => a + b, 0) : 1;
      addExpert(n, e, top[j]! / norm);
    }
  }
  return { y, logits, probs, tokensPerExpert, kept, choices };
}

/** The layer's parameters at `path` as MoeWeights (from initParams or a TrainingSession). */
export function readMoeWeights(params: ReadonlyMap<string, HostTensor>, path: string, numExperts: number): MoeWeights {
  const get = (k: string) => {
    const t = params.get(`${path}.${k}`);
    if (!t) throw new Error(`no parameter ${path}.${k}`);
    return t.data as Float32Array;
  };
  const bias = params.get(`${path}.router.bias`);
  return {
    routerWeight: get('router.weight'),
    routerBias: bias ? (bias.data as Float32Array) : undefined,
    experts: Array.from({ length: numExperts }, (_, e) => {
      const [w1, b1, w2, b2] = EXPERT_PARAM_NAMES.map((p) => get(`experts.${e}.${p}`));
      return { w1: w1!, b1: b1!, w2: w2!, b2: b2! };
    }),
  };
}
