/**
 * Routing statistics over the evaluated batches, summed from the encode
 * graph's outputs: per MoE layer the kept assignments per expert
 * (`moe.<i>.tokens_per_expert` [E]), the dropped ones (`moe.<i>.dropped` []),
 * and the (modality × expert) table (`moe.<i>.tokens_per_modality_expert`
 * [4, E]); the real tokens entering the stack come from `fused_mask`.
 * The accumulator only observes: it never changes what is evaluated.
 */
import { elementAsNumber, type HostTensor } from '../../graph/host-tensor.js';
import type { ModelConfig } from '../../model/config.js';
import { MODALITIES } from '../../model/modalities.js';

export interface RoutingLayerReport {
  /** MoE layer index i (depth order). */
  layer: number;
  /** Kept assignments per expert, summed over batches. */
  tokensPerExpert: number[];
  /** Σ tokensPerExpert. */
  assignments: number;
  /** Assignments (token choice) / tokens (expert choice) not processed. */
  dropped: number;
  /** Token choice: dropped / (assignments + dropped); expert choice: dropped / tokens. */
  droppedRate: number;
  /** Index of the expert with the most assignments, and its share of them. */
  busiestExpert: number;
  busiestShare: number;
  /** [4][E]: kept assignments per (modality in MODALITIES order, expert). */
  modalityExpert: number[][];
}

export interface RoutingReport {
  /** Row labels of modalityExpert. */
  modalities: string[];
  experts: number;
  topK: number;
  routing: 'token-choice' | 'expert-choice';
  /** Encode runs observed. */
  batches: number;
  /** Real (unpadded) tokens that entered the fusion stack, summed over batches. */
  tokens: number;
  layers: RoutingLayerReport[];
}

const toNumbers = (t: HostTensor): number[] => Array.from({ length: t.data.length }, (_, i) => elementAsNumber(t.data, i));

export class RoutingAccumulator {
  private batches = 0;
  private tokens = 0;
  private readonly layers: Array<{ perExpert: number[]; dropped: number; modalityExpert: number[][] }> = [];

  constructor(private readonly cfg: ModelConfig) {}

  /** Adds one encode run's outputs. */
  add(out: Record<string, HostTensor>): void {
    const e = this.cfg.fusion.moe.numExperts;
    this.batches++;
    if (out.fused_mask) this.tokens += toNumbers(out.fused_mask).reduce((a, b) => a + b, 0);
    for (let i = 0; out[`moe.${i}.tokens_per_expert`]; i++) {
      const layer = (this.layers[i] ??= { perExpert: new Array(e).fill(0), dropped: 0, modalityExpert: MODALITIES.map(() => new Array(e).fill(0)) });
      toNumbers(out[`moe.${i}.tokens_per_expert`]!).forEach((v, k) => (layer.perExpert[k]! += v));
      const dropped = out[`moe.${i}.dropped`];
      if (dropped) layer.dropped += toNumbers(dropped)[0] ?? 0;
      const me = out[`moe.${i}.tokens_per_modality_expert`];
      if (me) toNumbers(me).forEach((v, j) => (layer.modalityExpert[Math.floor(j / e)]![j % e]! += v)); // [4, E] row-major
    }
  }

  report(): RoutingReport {
    const moe = this.cfg.fusion.moe;
    return {
      modalities: [...MODALITIES],
      experts: moe.numExperts,
      topK: moe.topK,
      routing: moe.routing,
      batches: this.batches,
      tokens: this.tokens,
      layers: this.layers.map((l, layer) => {
        const assignments = l.perExpert.reduce((a, b) => a + b, 0);
        const busiest = l.perExpert.reduce((best, v, k) => (v > l.perExpert[best]! ? k : best), 0);
        const dropBase = moe.routing === 'expert-choice' ? this.tokens : assignments + l.dropped;
        return {
          layer,
          tokensPerExpert: [...l.perExpert],
          assignments,
          dropped: l.dropped,
          droppedRate: dropBase > 0 ? l.dropped / dropBase : 0,
          busiestExpert: busiest,
          busiestShare: assignments > 0 ? l.perExpert[busiest]! / assignments : 0,
          modalityExpert: l.modalityExpert.map((r) => [...r]),
        };
      }),
    };
  }
}
