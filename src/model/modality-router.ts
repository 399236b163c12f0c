/**
 * Dynamic modality routing: a gating network looks at the pooled features of
 * the modalities present and gives each a weight (softmax over the present
 * modalities); each modality's token stream is scaled by its weight before
 * fusion. Absent modalities are not in the graph at all, so their weight is
 * exactly 0 and no padding tokens of theirs reach the fusion stack.
 */
import type { Graph } from '../graph/graph.js';
import * as op from '../graph/ops/index.js';
import type { Value } from '../graph/value.js';
import { Linear } from '../nn/linear.js';
import { MODALITIES, modalityIndex, type Modality } from './modalities.js';

/** `learned`: the gating network decides; `uniform`: every present modality gets 1/M (for A/B tests). */
export type ModalityGateStrategy = 'learned' | 'uniform';

export interface ModalityGateOutput {
  /** Gate weight per modality in MODALITIES order, 0 for absent ones: [B, 4]. */
  weights: Value;
  /** Each present modality's tokens scaled by M_present · weight (so `uniform` leaves them unchanged). */
  scaled: Partial<Record<Modality, Value>>;
  /** Each present modality's factor M_present · weight [B, 1, 1] (for tokens that travel with a modality, e.g. a video's keyframe). */
  factors: Partial<Record<Modality, Value>>;
}

export class ModalityRouter {
  readonly gate: Linear;

  /** One linear layer D → 4 (a logit per modality) over the mean of the present modalities' pooled vectors. */
  constructor(
    readonly g: Graph,
    readonly name: string,
    readonly dim: number,
  ) {
    this.gate = g.withScope(name, () => new Linear(g, 'gate', { inFeatures: dim, outFeatures: MODALITIES.length, init: 'normal', initStd: 0.02 }));
  }

  apply(
    present: Partial<Record<Modality, { tokens: Value; pooled: Value }>>,
    strategy: ModalityGateStrategy = 'learned',
  ): ModalityGateOutput {
    const g = this.g;
    const mods = MODALITIES.filter((m) => present[m]);
    if (mods.length === 0) throw new Error(`modality router ${this.name}: no modality present`);
    return g.withScope(this.name, () => {
      const pooled = mods.map((m) => op.unsqueeze(present[m]!.pooled, [1])); // [B, 1, D] each
      const context = op.reduceMean(op.concat(pooled, 1), [1]); // [B, D]
      const logits = op.gather(this.gate.apply(context), g.ints(mods.map(modalityIndex)), 1); // [B, M_present]
      const probs = op.softmax(strategy === 'uniform' ? op.mul(logits, 0) : logits, -1); // [B, M_present]
      const columns = op.split(probs, mods.map(() => 1), 1); // [B, 1] each
      const zeros = op.mul(columns[0]!, 0); // [B, 1]
      const full = MODALITIES.map((m) => (mods.includes(m) ? columns[mods.indexOf(m)]! : zeros)); // absent: exactly 0
      const scaled: Partial<Record<Modality, Value>> = {};
      const factors: Partial<Record<Modality, Value>> = {};
      mods.forEach((m, i) => {
        factors[m] = op.unsqueeze(op.mul(columns[i]!, mods.length), [2]); // [B, 1, 1]
        scaled[m] = op.mul(present[m]!.tokens, factors[m]!); // [B, T_m, D]
      });
      return { weights: op.concat(full, 1), scaled, factors }; // [B, 4]
    });
  }
}
