/**
 * The sparse Mixture-of-Experts layer (Shazeer et al. 2017; Lepikhin et al.
 * 2020; Fedus et al. 2021): router → capacity → dispatch → experts (each on
 * its own C tokens) → weighted combine. Dropless token-choice inference
 * skips the padded buffer: each expert runs on exactly its own tokens
 * (dropless.ts). Returns its loss terms and routing statistics with its
 * output; nothing is kept in globals.
 *
 * The layer's output is the experts' contribution only: a token dropped over
 * capacity (or padding) gets 0, and the caller adds the residual.
 */
import type { Graph } from '../graph/graph.js';
import * as op from '../graph/ops/index.js';
import { freshDim } from '../graph/shape.js';
import type { Value } from '../graph/value.js';
import { expertCapacity, oneHot, positionInExpert, routedTokenCount } from './capacity.js';
import { combineExpertChoice, combineTokenChoice } from './combine.js';
import { validateMoeConfig, type MoeConfig, type MoeSettings, type ParamSource } from './config.js';
import { dispatchTokens } from './dispatch.js';
import { dispatchCompact } from './dropless.js';
import { expertChoiceRouting, expertChoiceStats } from './expert-choice.js';
import { Experts } from './experts.js';
import { loadBalanceLoss, routerZLoss, tokenMean } from './losses.js';
import { Router, topKRouting } from './router.js';

export interface MoeApplyOptions {
  /** Training mode: router jitter on and capacityFactorTrain; else capacityFactorEval. */
  training: boolean;
  /** Modality of each token, int64 [B, T] (or [N] for x [N, D]), ids in [0, numModalities) (others are not counted). */
  modalityIds?: Value;
  /** Number of modalities M (required with modalityIds). */
  numModalities?: number;
  /** bool [B, T] (or [N]): false marks padding, which is not routed, not counted and gets y = 0. */
  tokenMask?: Value;
  /** int64 [] seed of the training jitter noise (reproducible across resumes); without it RandomUniformLike is used. */
  noiseSeed?: Value;
  /**
   * Expert parallelism: computes the experts elsewhere. Given the layer's
   * path and its dispatch buffer [E, C, D], returns the experts' outputs
   * [E, C, D] (e.g. a placeholder input fed by remote shards); used instead
   * of this layer's own experts. Dropless layers then use the padded buffer
   * too (C = the busiest expert's load) instead of the compact rows.
   */
  remoteExperts?: RemoteExperts;
}

/** Hook of MoeApplyOptions.remoteExperts: (layer path, buffer [E, C, D]) → experts' outputs [E, C, D]. */
export type RemoteExperts = (layerPath: string, buffer: Value) => Value;

export interface MoeStats {
  /** Assignments each expert processed (kept, after the capacity cut) [E] int64. */
  tokensPerExpert: Value;
  /** Assignments of real tokens not processed [] int64: token choice k·N_real − kept (over capacity); expert choice: real tokens no expert took. */
  droppedTokens: Value;
  /** Kept assignments per (modality, expert) [M, E] int64, when modalityIds are given. */
  tokensPerModalityExpert?: Value;
  /** Mean router probability of each expert over the real tokens [E] (P_i of the load-balancing loss). */
  routerProbsMean: Value;
  /** Expert capacity C used by this call [] int64 (dropless: the busiest expert's load, also when the compact rows are used). */
  capacity: Value;
}

export interface MoeOutput {
  /** The experts' output, shaped like x; 0 for dropped and padding tokens (add the residual outside). */
  y: Value;
  /** Switch load-balancing loss α·E·Σ f_i·P_i [] (0 for expert choice, balanced by construction). */
  loadBalanceLoss: Value;
  /** Router z-loss β·mean(logsumexp(logits)²) [] over the real tokens. */
  zLoss: Value;
  stats: MoeStats;
  /**
   * For buildTrainingGraph's `updateMasks`: each expert parameter path → a
   * bool [] that is true iff the expert processed ≥ 1 token in this step, so
   * an idle expert's parameters and AdamW state stay bit-identical.
   */
  expertUpdateMasks: Map<string, Value>;
}

/** Parameters `<scope>.<name>.router.{weight,bias}` and `<scope>.<name>.experts.<e>.{w1,b1,w2,b2}`. */
export class MoeLayer {
  readonly cfg: MoeSettings;
  /** Parameter path prefix, e.g. `fusion.layers.2.moe`. */
  readonly path: string;
  readonly router: Router;
  readonly experts: Experts;

  constructor(
    readonly g: Graph,
    readonly name: string,
    cfg: MoeConfig,
    o: { param?: ParamSource } = {},
  ) {
    this.path = g.scope ? `${g.scope}.${name}` : name;
    this.cfg = validateMoeConfig(cfg, `MoE config at ${this.path}`);
    const { dim, hidden, numExperts, routerBias, routerInitStd, jitter } = this.cfg;
    [this.router, this.experts] = g.withScope(name, () => [
      new Router(g, 'router', { dim, numExperts, bias: routerBias, initStd: routerInitStd, jitter }, o),
      new Experts(g, 'experts', { dim, hidden, numExperts }, o),
    ]);
  }

  /** x [B, T, D] or [N, D] → MoeOutput with y shaped like x. */
  apply(x: Value, o: MoeApplyOptions): MoeOutput {
    const { dim, numExperts: E, topK: k } = this.cfg;
    if ((x.rank !== 2 && x.rank !== 3) || x.shape[x.rank - 1] !== dim) {
      throw new Error(`MoeLayer ${this.path}: x must be [B, T, ${dim}] or [N, ${dim}], got [${x.shape.join(', ')}]`);
    }
    if (o.tokenMask && o.tokenMask.dtype !== 'bool') throw new Error(`MoeLayer ${this.path}: tokenMask must be bool, got ${o.tokenMask.dtype}`);
    if (o.modalityIds && (o.modalityIds.dtype !== 'int64' || !o.numModalities)) {
      throw new Error(`MoeLayer ${this.path}: modalityIds must be int64 and come with numModalities ≥ 1`);
    }
    return this.g.withScope(this.name, () => {
      const xf = x.rank === 2 ? x : op.reshape(x, [-1, dim]); // [N, D]
      const valid = o.tokenMask ? op.reshape(o.tokenMask, [-1]) : null; // [N] bool
      const modality = o.modalityIds ? { ids: op.reshape(o.modalityIds, [-1]), count: o.numModalities! } : null; // [N]
      const weights = valid ? op.cast(valid, x.dtype) : null; // [N] 1 = real token
      const { logits, probs } = this.router.apply(xf, { training: o.training, noiseSeed: o.noiseSeed }); // [N, E], [N, E]
      const tokens = routedTokenCount(xf, valid); // [] real tokens
      const factor = o.training ? this.cfg.capacityFactorTrain : this.cfg.capacityFactorEval;
      const dropless = !(factor > 0) && this.cfg.routing === 'token-choice';
      // Inference only: training keeps the padded buffer (its gradient path and the idle-expert checks are built on it).
      const compact = dropless && !o.training && !o.remoteExperts;
      let capacity = expertCapacity(tokens, { factor, k, numExperts: E }); // [] C
      const capDim = freshDim(`${this.path}.capacity`);
      const meanProbs = tokenMean(probs, weights); // [E] P_i
      const zLoss = routerZLoss(logits, weights, this.cfg.zLossCoef); // []

      let yf: Value;
      let loadBalance: Value;
      let counts: Omit<MoeStats, 'routerProbsMean' | 'capacity'>;
      if (this.cfg.routing === 'expert-choice') {
        const r = expertChoiceRouting(xf, probs, valid, capacity, capDim); // buffer [E, C, D]
        const out = o.remoteExperts ? o.remoteExperts(this.path, r.buffer) : this.experts.apply(r.buffer); // [E, C, D]
        yf = combineExpertChoice(out, r.token, r.gate, xf); // [N, D]
        loadBalance = this.g.scalar(0, x.dtype); // [] balanced by construction (Zhou et al. 2022 §3)
        counts = expertChoiceStats(r, xf, valid, modality);
      } else {
        const { gates, experts } = topKRouting(probs, k, this.cfg.normalizeTopK); // [N, k], [N, k]
        const p = positionInExpert(experts, valid, dropless ? 'dropless' : capacity, E); // per assignment [A], A = k·N
        capacity = p.capacity; // [] C
        let out: Value;
        let slot: Value;
        if (compact) {
          const d = dispatchCompact(p); // table [R], counts [E], slot [A]
          out = this.experts.applyRows(xf, d.table, d.counts); // [R, D]
          slot = d.slot;
        } else {
          const d = dispatchTokens(xf, p, capacity, E, capDim); // buffer [E, C, D]
          out = o.remoteExperts ? o.remoteExperts(this.path, d.buffer) : this.experts.apply(d.buffer); // [E, C, D]
          slot = d.slot;
        }
        const gateA = op.where(p.keep, op.reshape(op.transpose(gates, [1, 0]), [-1]), 0); // [A] 0 when dropped
        yf = combineTokenChoice(out, slot, gateA, k, xf); // [N, D]
        const routedPerExpert = op.cast(op.reduceSum(p.routedOneHot, [0]), x.dtype); // [E]
        const assignments = op.maximum(op.mul(op.cast(tokens, x.dtype), k), 1); // [] k·N_real
        loadBalance = loadBalanceLoss(op.div(routedPerExpert, assignments), meanProbs, this.cfg.loadBalanceCoef); // []
        const tokensPerExpert = op.reduceSum(p.keptOneHot, [0]); // [E]
        const droppedTokens = op.sub(op.mul(tokens, this.g.scalar(k, 'int64')), op.reduceSum(tokensPerExpert)); // []
        counts = { tokensPerExpert, droppedTokens };
        if (modality) {
          const mods = op.cast(oneHot(op.gather(modality.ids, p.token), modality.count), 'float32'); // [A, M]
          const kept = op.cast(p.keptOneHot, 'float32'); // [A, E]
          counts.tokensPerModalityExpert = op.cast(op.matmul(op.transpose(mods, [1, 0]), kept), 'int64'); // [M, E]
        }
      }
      const y = x.rank === 2 ? yf : op.reshape(yf, op.shapeOf(x)); // [B, T, D] (or [N, D])
      const expertUpdateMasks = new Map<string, Value>();
      this.experts.experts.forEach((ex, e) => {
        const active = op.greater(op.gather(counts.tokensPerExpert, this.g.scalar(e, 'int64')), this.g.scalar(0, 'int64')); // [] bool
        for (const path of ex.paramPaths) expertUpdateMasks.set(path, active);
      });
      return {
        y,
        loadBalanceLoss: loadBalance,
        zLoss,
        stats: { ...counts, routerProbsMean: meanProbs, capacity },
        expertUpdateMasks,
      };
    });
  }
}
