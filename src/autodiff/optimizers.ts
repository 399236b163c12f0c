/**
 * Optimizers, split in two halves: per-parameter scalars (learning rate,
 * bias corrections) computed on the host in float64 for each step, and the
 * elementwise update emitted as graph ops. Each parameter keeps its own step
 * count, so a parameter that skips steps (an idle expert, an encoder absent
 * from a batch) gets the bias correction of the steps it actually took.
 */
import * as op from '../graph/ops/index.js';
import type { Value } from '../graph/value.js';

/** AdamW (Loshchilov & Hutter 2019, "Decoupled Weight Decay Regularization", Alg. 2) with bias correction (Kingma & Ba 2015). */
export interface AdamWConfig {
  kind: 'adamw';
  /** Exponential decay of the first moment (default 0.9). */
  beta1?: number;
  /** Exponential decay of the second moment (default 0.999). */
  beta2?: number;
  /** Added to the denominator for stability (default 1e-8). */
  eps?: number;
  /** Decoupled weight decay coefficient λ: p ← p·(1 − lr·λ) (default 0.01). */
  weightDecay?: number;
}

/** SGD with (heavy-ball) momentum, PyTorch semantics: b ← μ·b + g; p ← p − lr·b. */
export interface SgdConfig {
  kind: 'sgd';
  /** Momentum μ (default 0: plain SGD, no state). */
  momentum?: number;
  /** L2 weight decay added to the gradient (default 0). */
  weightDecay?: number;
}

export type OptimizerConfig = AdamWConfig | SgdConfig;

export interface ParamUpdate {
  param: Value;
  /** State slot name → new value. */
  state: Record<string, Value>;
}

/** The state slots an optimizer keeps per parameter, e.g. ['m', 'v'] for AdamW. */
export function optimizerSlots(cfg: OptimizerConfig): string[] {
  if (cfg.kind === 'adamw') return ['m', 'v'];
  return (cfg.momentum ?? 0) > 0 ? ['momentum'] : [];
}

/** Names of the per-parameter scalars the update reads, in the order `stepScalars` returns them. */
export function scalarNames(cfg: OptimizerConfig): string[] {
  return cfg.kind === 'adamw' ? ['stepSize', 'epsilon', 'decayFactor'] : ['lr', 'decay'];
}

/** The per-parameter scalars for a parameter's `t`-th step (1-based) at learning rate `lr`, in float64. */
export function stepScalars(cfg: OptimizerConfig, lr: number, t: number): number[] {
  if (cfg.kind === 'sgd') return [lr, cfg.weightDecay ?? 0];
  const bc1 = -Math.expm1(t * Math.log(cfg.beta1 ?? 0.9)); // 1 − β1^t without cancellation
  const bc2 = -Math.expm1(t * Math.log(cfg.beta2 ?? 0.999)); // 1 − β2^t
  // lr·m̂/(√v̂ + ε) = (lr·√bc2/bc1)·m/(√v + ε·√bc2): the bias corrections fold into two scalars.
  return [(lr * Math.sqrt(bc2)) / bc1, (cfg.eps ?? 1e-8) * Math.sqrt(bc2), 1 - lr * (cfg.weightDecay ?? 0.01)];
}

/**
 * A parameter's gradient as the update reads it: `grad` (a scalar 0 for an
 * unused parameter), the global clip coefficient to apply to it (none when
 * not clipping) and, when already computed for the global norm, grad².
 * Folding the clip coefficient into the update's scalars saves a pass over
 * every gradient; reusing grad² saves another.
 */
export interface GradInput {
  grad: Value;
  clipScale?: Value;
  squared?: Value;
}

/** The updated parameter and state for one parameter. */
export function updateParam(cfg: OptimizerConfig, s: Record<string, Value>, p: Value, gi: GradInput, state: Record<string, Value>): ParamUpdate {
  const { grad, clipScale: k, squared } = gi;
  if (cfg.kind === 'adamw') {
    const b1 = cfg.beta1 ?? 0.9;
    const b2 = cfg.beta2 ?? 0.999;
    const gainM = k ? op.mul(k, 1 - b1) : 1 - b1; // [] (1−β1)·k
    const gainV = k ? op.mul(op.mul(k, k), 1 - b2) : 1 - b2; // [] (1−β2)·k²
    const m = op.add(op.mul(state.m!, b1), op.mul(grad, gainM)); // [P] β1·m + (1−β1)·(k·g)
    const v = op.add(op.mul(state.v!, b2), op.mul(squared ?? op.mul(grad, grad), gainV)); // [P] β2·v + (1−β2)·(k·g)²
    const denom = op.add(op.sqrt(v), s.epsilon!); // [P] √v + ε·√bc2
    const decayed = (cfg.weightDecay ?? 0.01) === 0 ? p : op.mul(p, s.decayFactor!); // [P] p·(1 − lr·λ)
    const param = op.sub(decayed, op.mul(op.div(m, denom), s.stepSize!)); // [P] − lr·m̂/(√v̂ + ε)
    return { param, state: { m, v } };
  }
  const mu = cfg.momentum ?? 0;
  const clipped = k ? op.mul(grad, k) : grad; // [P] k·g
  const g = (cfg.weightDecay ?? 0) > 0 ? op.add(clipped, op.mul(p, s.decay!)) : clipped; // [P] g + λ·p
  if (mu === 0) return { param: op.sub(p, op.mul(g, s.lr!)), state: {} };
  const buf = op.add(op.mul(state.momentum!, mu), g); // [P] μ·b + g
  return { param: op.sub(p, op.mul(buf, s.lr!)), state: { momentum: buf } };
}
