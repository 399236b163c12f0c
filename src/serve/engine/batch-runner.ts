/**
 * Runs one scheduled batch on the backend (the `runtime.run(batch)` of the
 * engine loop): an embeddings batch, an encode batch (memories for
 * generation, routing explanations), or one decoder step over the running
 * rows, new rows joining with <bos>.
 */
import type { ModelConfig } from '../../model/config.js';
import { MODALITIES, type Modality } from '../../model/modalities.js';
import type { InferenceBackend, MoeLayerStats, RouteResult } from '../engine-api.js';
import { batchFeeds, moeStats, rowMemory, rowOf } from './batch-feeds.js';
import type { Batch, DecodeBatch, EncodeBatch, GenerationRow } from './scheduler.js';

export interface EmbedOutput {
  kind: 'embed';
  embeddings: Float32Array[];
  runSeconds: number;
}

export interface EncodeOutput {
  kind: 'encode';
  /** Per row: its fused memory cut to its real tokens [S, D]. */
  memories: { memory: Float32Array; memLen: number; dim: number }[];
  /** [B, 4] in MODALITIES order. */
  gateWeights: Float32Array;
  moe: MoeLayerStats[];
  runSeconds: number;
}

export interface DecodeOutput {
  kind: 'decode';
  /** The next token of each row (batch.rows, then batch.joining). */
  tokens: number[];
  runSeconds: number;
}

export type BatchOutput = EmbedOutput | EncodeOutput | DecodeOutput;

export class BatchRunner {
  constructor(
    private readonly backend: InferenceBackend,
    private readonly padId: number,
  ) {}

  get cfg(): ModelConfig {
    return this.backend.cfg;
  }

  run(batch: Batch): Promise<BatchOutput> {
    if (batch.kind === 'decode') return this.decode(batch);
    return batch.kind === 'embed' ? this.embed(batch) : this.encode(batch);
  }

  private async embed(batch: EncodeBatch): Promise<EmbedOutput> {
    const feeds = batchFeeds(batch.items.map((i) => i.input), batch.signature, this.cfg, this.padId);
    const t0 = performance.now();
    const out = this.backend.embed ? await this.backend.embed(batch.signature, feeds) : await this.backend.encode(batch.signature, feeds);
    const runSeconds = (performance.now() - t0) / 1000;
    const m = batch.signature[0]!;
    const e = out[`embedding.${m}`];
    if (!e) throw new Error(`the backend returned no embedding.${m}`);
    return { kind: 'embed', embeddings: batch.items.map((_, b) => rowOf(e, b)), runSeconds };
  }

  private async encode(batch: EncodeBatch): Promise<EncodeOutput> {
    const feeds = batchFeeds(batch.items.map((i) => i.input), batch.signature, this.cfg, this.padId);
    const t0 = performance.now();
    const out = await this.backend.encode(batch.signature, feeds, batch.variant);
    const runSeconds = (performance.now() - t0) / 1000;
    const { fused, fused_mask: mask, gate_weights: gate } = out;
    if (!fused || !mask || !gate) throw new Error('the backend encode returned no fused/fused_mask/gate_weights');
    return {
      kind: 'encode',
      memories: batch.items.map((it, b) => (it.kind === 'generate' ? rowMemory(fused, mask, b) : { memory: new Float32Array(0), memLen: 0, dim: 0 })),
      gateWeights: gate.data as Float32Array,
      moe: moeStats(out),
      runSeconds,
    };
  }

  private async decode(batch: DecodeBatch): Promise<DecodeOutput> {
    const t0 = performance.now();
    const stepper = await this.backend.decoder();
    // Joining rows: one memory-projection run for all of them.
    const joined = await stepper.newRows(batch.joining.map((r) => ({ memory: r.memory, memLen: r.memLen, dim: r.dim })));
    batch.joining.forEach((r, i) => (r.row = joined[i]));
    // At most two step runs: the running rows with the joining rows whose prompt is one token (<bos>),
    // then the joining rows with longer prompts, prefilled together (right-padded to the longest).
    const rows: GenerationRow[] = [...batch.rows, ...batch.joining];
    const short = rows.filter((r) => inputOf(r).length === 1);
    const long = rows.filter((r) => inputOf(r).length > 1);
    const logits = new Map<GenerationRow, Float32Array>();
    for (const group of [short, long]) {
      if (group.length === 0) continue;
      const out = await stepper.step(group.map((r) => r.row!), group.map(inputOf));
      group.forEach((r, i) => logits.set(r, out[i]!));
    }
    const tokens = rows.map((r) => r.state.sample(logits.get(r)!));
    return { kind: 'decode', tokens, runSeconds: (performance.now() - t0) / 1000 };
  }
}

/** What a row reads next: its whole prompt before its first step, then the token it last sampled. */
function inputOf(r: GenerationRow): number[] {
  return r.row!.length === 0 ? r.state.prompt : [r.state.nextInput];
}

/** The routing explanation of a batch of one: gate weights and per-layer tokens by modality and expert. */
export function routeResult(gateWeights: Float32Array, b: number, moe: MoeLayerStats[], signature: readonly Modality[]): RouteResult {
  const gw = Object.fromEntries(MODALITIES.map((m, i) => [m, gateWeights[b * MODALITIES.length + i]!])) as Record<Modality, number>;
  return {
    gateWeights: gw,
    layers: moe.map((s) => ({
      layer: s.layer,
      tokensPerModalityExpert: Object.fromEntries(
        MODALITIES.filter((m) => signature.includes(m)).map((m) => [m, s.tokensPerModalityExpert?.[MODALITIES.indexOf(m)] ?? []]),
      ) as Record<Modality, number[]>,
      dropped: s.dropped,
    })),
  };
}
