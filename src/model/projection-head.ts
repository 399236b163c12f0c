/** Projection into the shared embedding space: Linear D → E then L2 normalisation (CLIP's two towers, Radford et al. 2021). */
import type { Graph } from '../graph/graph.js';
import * as op from '../graph/ops/index.js';
import type { Value } from '../graph/value.js';
import { Linear } from '../nn/linear.js';

/** x / ‖x‖₂ over the last axis (ε keeps a zero vector finite). */
export function l2Normalize(x: Value, eps = 1e-12): Value {
  const norm = op.sqrt(op.add(op.reduceSum(op.mul(x, x), [-1], true), eps)); // [..., 1]
  return op.div(x, norm); // [..., E]
}

export class ProjectionHead {
  readonly proj: Linear;

  constructor(
    readonly g: Graph,
    readonly name: string,
    dim: number,
    embedDim: number,
  ) {
    this.proj = new Linear(g, name, { inFeatures: dim, outFeatures: embedDim, bias: false, init: 'normal', initStd: dim ** -0.5 });
  }

  /** pooled [B, D] → unit-norm embedding [B, E]. */
  apply(pooled: Value): Value {
    return l2Normalize(this.proj.apply(pooled)); // [B, E]
  }
}
