/**
 * Encoder features computed once per media item. When a stage holds a media
 * encoder fixed and none of its batches trains it (instruction tuning with
 * `freeze: ['encoders.', …]` and no replay that trains that encoder), the
 * encoder's output for an image, clip or video is the same at every step, as
 * in LLaVA's fixed vision tower (Liu et al. 2023). Its instruction steps then
 * take the tokens and pooled vector as inputs (`<m>_tokens`, `<m>_pooled`)
 * instead of running the encoder again for every epoch: the first batch that
 * meets a media file encodes it, later ones reuse it.
 *
 * The cache is only valid while those encoder parameters do not change; the
 * trainer makes one per stage (fixedEncoders) and drops it at the stage's end.
 */
import { emitModel } from '../graph/emit-onnx.js';
import { Graph } from '../graph/graph.js';
import type { HostTensor } from '../graph/host-tensor.js';
import type * as ort from 'onnxruntime-node';
import type { ModelConfig } from '../model/config.js';
import { MEDIA_MODALITIES, type MediaModality } from '../model/modalities.js';
import { declareModelInputs } from '../model/model-inputs.js';
import { MultimodalModel } from '../model/multimodal-model.js';
import type { ParamStore } from '../runtime/param-store.js';
import { Session } from '../runtime/session.js';
import { stackMedia } from './batches.js';
import type { DatasetExample } from './dataset.js';
import type { StageSettings } from './trainer.js';
import type { Stage } from './objectives/objective.js';

/** One media item's encoder output: tokens [T, D] (flattened) and pooled [D]. */
interface Features {
  tokens: Float32Array;
  pooled: Float32Array;
}

/**
 * The media encoders stage `stage` holds fixed and that none of its batches
 * trains: fixed by its `freeze` prefixes and, when it replays another stage,
 * by that stage's too.
 */
export function fixedEncoders(stage: Stage, settings: Readonly<Record<Stage, StageSettings>>): MediaModality[] {
  const fixedIn = (st: StageSettings | undefined, m: MediaModality) => (st?.freeze ?? []).some((prefix) => `encoders.${m}.`.startsWith(prefix));
  const own = settings[stage];
  const replayed = own.replay ? settings[own.replay.stage] : undefined;
  return MEDIA_MODALITIES.filter((m) => fixedIn(own, m) && (!own.replay || fixedIn(replayed, m)));
}

export class EncoderFeatureCache {
  private readonly sessions = new Map<MediaModality, Promise<{ session: Session; params: string[] }>>();
  private readonly items = new Map<string, Features>();
  /** Media items encoded so far (each once). */
  encoded = 0;

  constructor(
    readonly cfg: ModelConfig,
    readonly store: ParamStore,
    readonly o: {
      threads?: number;
      /** Adds the graph's parameters the store lacks, as the training sessions do (TaskSessions.ensureParams). */
      ensureParams?: (g: Graph) => void;
    } = {},
  ) {}

  /** Feeds `<m>_tokens` [B, T_m, D] and `<m>_pooled` [B, D] of `examples` for each of `modalities`, encoding the media not seen yet. */
  async feeds(examples: readonly DatasetExample[], modalities: readonly MediaModality[]): Promise<Record<string, HostTensor>> {
    const out: Record<string, HostTensor> = {};
    for (const m of modalities) {
      const keys = examples.map((ex) => `${m}:${ex.files[m] ?? ex.id}`);
      const missing = new Map<string, DatasetExample>();
      keys.forEach((k, i) => {
        if (!this.items.has(k) && !missing.has(k)) missing.set(k, examples[i]!);
      });
      if (missing.size > 0) await this.encode(m, [...missing]);
      const rows = keys.map((k) => this.items.get(k)!);
      const d = this.cfg.core.dim;
      const t = rows[0]!.tokens.length / d;
      const tokens = new Float32Array(rows.length * t * d);
      const pooled = new Float32Array(rows.length * d);
      rows.forEach((r, i) => {
        tokens.set(r.tokens, i * t * d);
        pooled.set(r.pooled, i * d);
      });
      out[`${m}_tokens`] = { dtype: 'float32', shape: [rows.length, t, d], data: tokens };
      out[`${m}_pooled`] = { dtype: 'float32', shape: [rows.length, d], data: pooled };
    }
    return out;
  }

  /** Runs `m`'s encoder on these examples' media with the store's current parameters and keeps each item's output. */
  private async encode(m: MediaModality, entries: [string, DatasetExample][]): Promise<void> {
    const { session, params } = await this.session(m);
    const feeds: Record<string, HostTensor | ort.Tensor> = { [m]: stackMedia(entries.map(([, ex]) => ex), m, this.cfg) };
    for (const path of params) feeds[path] = this.store.param(path, this.store.shape(path)).front;
    const r = await session.run(feeds);
    const tokens = r.tokens!.data as Float32Array; // [N, T, D]
    const pooled = r.pooled!.data as Float32Array; // [N, D]
    const perTokens = tokens.length / entries.length;
    const d = this.cfg.core.dim;
    entries.forEach(([key], i) => {
      this.items.set(key, { tokens: tokens.slice(i * perTokens, (i + 1) * perTokens), pooled: pooled.slice(i * d, (i + 1) * d) });
    });
    this.encoded += entries.length;
  }

  /** The encoder graph of `m` (encoder and head parameters, by path), compiled on first use. */
  private session(m: MediaModality): Promise<{ session: Session; params: string[] }> {
    let s = this.sessions.get(m);
    if (!s) {
      const g = new Graph(`features.${m}`);
      const model = new MultimodalModel(g, this.cfg, [m]);
      const enc = model.forward(declareModelInputs(g, this.cfg, [m]), { training: false, encodersOnly: true }).encoders[m]!;
      this.o.ensureParams?.(g);
      const params = [...g.params.keys()];
      for (const p of params) if (!this.store.has(p)) throw new Error(`encoder features for ${m}: no value for parameter ${p}`);
      const onnx = emitModel(g, { outputs: [{ name: 'tokens', value: enc.tokens }, { name: 'pooled', value: enc.pooled }] });
      s = Session.create(onnx, { threads: this.o.threads }).then((session) => ({ session, params }));
      this.sessions.set(m, s);
    }
    return s;
  }

  async release(): Promise<void> {
    for (const s of this.sessions.values()) await (await s).session.release();
    this.sessions.clear();
    this.items.clear();
  }
}
