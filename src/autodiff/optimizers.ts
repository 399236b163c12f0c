/**
 * Optimizer updates emitted as graph ops, one parameter at a time. Each
 * optimizer names its per-parameter state slots; the training graph feeds
 * them in and takes the updated ones out.
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

/** Scalars shared by every parameter's update in one step. */
export interface StepScalars {
  /** Learning rate for this step. */
  lr: Value;
  /** 1-based step count t (float), for bias correction. */
  step: Value;
}

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

/** Per-step scalars computed once per graph (bias corrections), then shared. */
export function prepareScalars(cfg: OptimizerConfig, s: StepScalars): Record<string, Value> {
  const g = s.lr.graph;
  if (cfg.kind === 'sgd') return { lr: s.lr, decay: g.scalar(cfg.weightDecay ?? 0) };
  const b1 = cfg.beta1 ?? 0.9;
  const b2 = cfg.beta2 ?? 0.999;
  // In float64: 1 − β2^t in float32 loses ~1e-5 relative precision to cancellation.
  const t = op.cast(s.step, 'float64');
  const lr = op.cast(s.lr, 'float64');
  const bc1 = op.sub(1, op.pow(g.scalar(b1, 'float64'), t)); // 1 − β1^t
  const bc2 = op.sub(1, op.pow(g.scalar(b2, 'float64'), t)); // 1 − β2^t
  return {
    stepSize: op.cast(op.div(lr, bc1), 'float32'), // lr / (1 − β1^t)
    invSqrtBc2: op.cast(op.reciprocal(op.sqrt(bc2)), 'float32'), // 1 / √(1 − β2^t)
    decayFactor: op.cast(op.sub(1, op.mul(lr, cfg.weightDecay ?? 0.01)), 'float32'), // 1 − lr·λ
  };
}

/** The updated parameter and state for one parameter with gradient `grad` (a scalar 0 for unused parameters). */
export function updateParam(cfg: OptimizerConfig, scalars: Record<string, Value>, p: Value, grad: Value, state: Record<string, Value>): ParamUpdate {
  if (cfg.kind === 'adamw') {
    const b1 = cfg.beta1 ?? 0.9;
    const b2 = cfg.beta2 ?? 0.999;
    const m = op.add(op.mul(state.m!, b1), op.mul(grad, 1 - b1)); // [P] β1·m + (1−β1)·g
    const v = op.add(op.mul(state.v!, b2), op.mul(op.mul(grad, grad), 1 - b2)); // [P] β2·v + (1−β2)·g²
    const denom = op.add(op.mul(op.sqrt(v), scalars.invSqrtBc2!), cfg.eps ?? 1e-8); // [P] √v̂ + ε
    const decayed = (cfg.weightDecay ?? 0.01) === 0 ? p : op.mul(p, scalars.decayFactor!); // [P] p·(1 − lr·λ)
    const param = op.sub(decayed, op.mul(op.div(m, denom), scalars.stepSize!)); // [P] − lr·m̂/(√v̂ + ε)
    return { param, state: { m, v } };
  }
  const mu = cfg.momentum ?? 0;
  const g = (cfg.weightDecay ?? 0) > 0 ? op.add(grad, op.mul(p, scalars.decay!)) : grad; // [P] g + λ·p
  if (mu === 0) return { param: op.sub(p, op.mul(g, scalars.lr!)), state: {} };
  const buf = op.add(op.mul(state.momentum!, mu), g); // [P] μ·b + g
  return { param: op.sub(p, op.mul(buf, scalars.lr!)), state: { momentum: buf } };
}
