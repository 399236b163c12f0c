/**
 * A batch's graph inputs and the per-row pieces of its outputs: text ids
 * padded to the batch's longest (with masks), media stacked; embeddings,
 * gate weights and each row's fused memory cut to its real tokens (so a
 * row decodes from the same memory alone or in any batch).
 */
import type { HostTensor } from '../../graph/host-tensor.js';
import type { ModelConfig } from '../../model/config.js';
import { MODALITIES, type Modality } from '../../model/modalities.js';
import { mediaShape } from '../../model/model-inputs.js';
import { padTokens } from '../../train/batches.js';
import type { ModelInput, MoeLayerStats } from '../engine-api.js';

/** The feeds of `signature` for these inputs (each must carry every modality of it). */
export function batchFeeds(inputs: readonly ModelInput[], signature: readonly Modality[], cfg: ModelConfig, padId: number): Record<string, HostTensor> {
  const feeds: Record<string, HostTensor> = {};
  for (const m of signature) {
    if (m === 'text') {
      const rows = inputs.map((x, i) => {
        if (!x.textIds || x.textIds.length === 0) throw new Error(`batch row ${i} has no text`);
        return x.textIds;
      });
      const { ids, mask } = padTokens(rows, padId, cfg.text.maxTextLen);
      feeds.text_ids = ids; // [B, T]
      feeds.text_mask = mask; // [B, T]
      continue;
    }
    const shape = mediaShape(cfg, m);
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(inputs.length * n);
    inputs.forEach((x, i) => {
      const v = x[m];
      if (!v || v.length !== n) throw new Error(`batch row ${i}: ${m} has ${v?.length ?? 0} values, expected ${n} ([${shape.join(', ')}])`);
      data.set(v, i * n);
    });
    feeds[m] = { dtype: 'float32', shape: [inputs.length, ...shape], data }; // [B, ...shape]
  }
  return feeds;
}

/** Row b of a [B, ...] float tensor. */
export function rowOf(t: HostTensor, b: number): Float32Array {
  const n = t.shape.slice(1).reduce((a, x) => a * x, 1);
  return (t.data as Float32Array).slice(b * n, (b + 1) * n);
}

/** Row b's fused memory [S_b, D] gathered from `fused` [B, T, D] at its real positions of `mask` [B, T]. */
export function rowMemory(fused: HostTensor, mask: HostTensor, b: number): { memory: Float32Array; memLen: number; dim: number } {
  const [, t, d] = fused.shape as [number, number, number];
  const m = mask.data as Uint8Array;
  const f = fused.data as Float32Array;
  let len = 0;
  for (let i = 0; i < t; i++) if (m[b * t + i]) len++;
  const memory = new Float32Array(len * d);
  let j = 0;
  for (let i = 0; i < t; i++) {
    if (!m[b * t + i]) continue;
    memory.set(f.subarray((b * t + i) * d, (b * t + i + 1) * d), j * d);
    j++;
  }
  return { memory, memLen: len, dim: d };
}

const num = (x: number | bigint): number => Number(x);

/** The MoE statistics in an encode graph's outputs (`moe.<i>.*`), by layer. */
export function moeStats(out: Record<string, HostTensor>): MoeLayerStats[] {
  const stats: MoeLayerStats[] = [];
  for (let i = 0; out[`moe.${i}.tokens_per_expert`]; i++) {
    const per = Array.from(out[`moe.${i}.tokens_per_expert`]!.data as ArrayLike<number | bigint>, num);
    const dropped = num((out[`moe.${i}.dropped`]?.data as ArrayLike<number | bigint> | undefined)?.[0] ?? 0);
    const s: MoeLayerStats = { layer: i, tokensPerExpert: per, dropped };
    const pme = out[`moe.${i}.tokens_per_modality_expert`];
    if (pme) {
      const e = per.length;
      const flat = Array.from(pme.data as ArrayLike<number | bigint>, num);
      s.tokensPerModalityExpert = MODALITIES.map((_, m) => flat.slice(m * e, (m + 1) * e));
    }
    stats.push(s);
  }
  return stats;
}
