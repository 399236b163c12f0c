/**
 * `npm run bench -- moe`: inference latency of the mm-small fusion stack with
 * its MoE layers (E = 8, k = 2, dropless evaluation) against the same stack
 * with each MoE layer replaced by a dense FFN of (a) the same total
 * parameter count (hidden E·H) and (b) the same active parameter count
 * (hidden k·H), on the same batch, in one process. Also the MoE stack on
 * the padded dropless path (every expert computes the busiest expert's load,
 * the buffer [E, C, D] that expert parallelism still uses) against the
 * default compact one (each expert computes exactly its own tokens).
 */
import { emitModel } from '../src/graph/emit-onnx.js';
import { Graph } from '../src/graph/graph.js';
import type { HostTensor } from '../src/graph/host-tensor.js';
import * as op from '../src/graph/ops/index.js';
import { Random } from '../src/graph/random.js';
import type { Value } from '../src/graph/value.js';
import { loadModelConfig } from '../src/model/config.js';
import { MoeLayer } from '../src/moe/moe-layer.js';
import { Mlp } from '../src/nn/mlp.js';
import { TransformerBlock } from '../src/nn/transformer-block.js';
import { initParams } from '../src/runtime/init-params.js';
import { Session } from '../src/runtime/session.js';
import { median } from './stats.js';

export type Variant = 'moe' | 'moe-padded' | 'dense-total' | 'dense-active';

export function buildStack(variant: Variant): { g: Graph; params: number } {
  const cfg = loadModelConfig('mm-small');
  const { dim, heads, mlpRatio } = cfg.core;
  const { layers, moeEvery, moe } = cfg.fusion;
  const g = new Graph(`fusion-${variant}`);
  let h: Value = g.input('tokens', 'float32', ['batch', 'seq', dim]);
  g.withScope('fusion', () => {
    for (let i = 0; i < layers; i++) {
      const sparse = moeEvery > 0 && (i + 1) % moeEvery === 0;
      const block = new TransformerBlock(g, String(i), { dim, heads, mlpRatio, noMlp: sparse });
      h = block.apply(h); // [B, T, D]
      if (!sparse) continue;
      const x = block.ln2.apply(h); // [B, T, D]
      if (variant === 'moe' || variant === 'moe-padded') {
        const layer = new MoeLayer(g, `moe${i}`, moe);
        // The expert-parallel hook, run locally, keeps the padded [E, C, D] buffer.
        const remoteExperts = variant === 'moe-padded' ? (_path: string, buffer: Value) => layer.experts.apply(buffer) : undefined; // [E, C, D]
        h = op.add(h, layer.apply(x, { training: false, remoteExperts }).y); // [B, T, D]
      } else {
        const hidden = variant === 'dense-total' ? moe.numExperts * moe.hidden : moe.topK * moe.hidden;
        h = op.add(h, new Mlp(g, `ffn${i}`, { inFeatures: dim, hiddenFeatures: hidden }).apply(x)); // [B, T, D]
      }
    }
  });
  g.output('y', h);
  let params = 0;
  for (const p of g.params.values()) params += (p.value.shape as number[]).reduce((a, b) => a * b, 1);
  return { g, params };
}

export async function runMoeBench(o: { batch?: number; seq?: number; rounds?: number } = {}): Promise<Record<string, number>> {
  const batch = o.batch ?? 8;
  const seq = o.seq ?? 128;
  const rounds = o.rounds ?? 3;
  const rng = new Random(0);
  const dim = loadModelConfig('mm-small').core.dim;
  const tokens: HostTensor = { dtype: 'float32', shape: [batch, seq, dim], data: Float32Array.from({ length: batch * seq * dim }, () => rng.normal()) };
  const variants: Variant[] = ['moe', 'dense-total', 'dense-active', 'moe-padded'];
  const sessions = new Map<Variant, Session>();
  const counts = new Map<Variant, number>();
  for (const v of variants) {
    const { g, params } = buildStack(v);
    sessions.set(v, await Session.create(emitModel(g, { paramValues: initParams(g, 1) })));
    counts.set(v, params);
  }
  // Blocks of consecutive runs per variant (a server runs one model at a time; alternating single
  // runs would measure cold caches), in rounds so that slow phases of the machine hit every variant.
  const times = new Map<Variant, number[]>(variants.map((v) => [v, []]));
  for (let r = 0; r < rounds; r++) {
    for (const v of variants) {
      for (let i = 0; i < 12; i++) {
        const t0 = performance.now();
        await sessions.get(v)!.run({ tokens });
        if (i >= 2) times.get(v)!.push(performance.now() - t0); // 2 warm-up runs per block
      }
    }
  }
  const ms = Object.fromEntries(variants.map((v) => [v, median(times.get(v)!)])) as Record<Variant, number>;
  console.log(`batch ${batch} × ${seq} tokens through the mm-small fusion stack (${loadModelConfig('mm-small').fusion.layers} blocks, MoE every ${loadModelConfig('mm-small').fusion.moeEvery})`);
  for (const v of variants) console.log(`  ${v.padEnd(13)} ${(counts.get(v)! / 1e6).toFixed(2)} M params   median ${ms[v].toFixed(2)} ms`);
  const vsTotal = ms.moe / ms['dense-total'];
  const vsActive = ms.moe / ms['dense-active'];
  console.log(`MoE / dense with equal total params:  ${vsTotal.toFixed(2)}  (seed claims 0.7; target ≤ 0.6)`);
  console.log(`MoE / dense with equal active params: ${vsActive.toFixed(2)}  (sparse-path overhead; target ≤ 1.3)`);
  const vsPadded = ms.moe / ms['moe-padded'];
  console.log(`MoE compact / padded dropless:        ${vsPadded.toFixed(2)}  (each expert on its own tokens vs on the busiest one's load; this random router is near-balanced)`);
  for (const s of sessions.values()) await s.release();
  return { moeMs: ms.moe, denseTotalMs: ms['dense-total'], denseActiveMs: ms['dense-active'], moePaddedMs: ms['moe-padded'], vsTotal, vsActive, vsPadded };
}
