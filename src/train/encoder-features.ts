/**
 * Encoder features computed once per media item. When a stage holds a media
 * encoder fixed and none of its batches trains it (instruction tuning with
 * `freeze: ['encoders.', …]` and no replay that trains that encoder), the
 * encoder's output for an image, clip or video is the same at every step, as
 * in LLaVA's fixed vision tower (Liu et al. 2023). Its instruction steps then
 * take the tokens and pooled vector as inputs (`<m>_tokens`, `<m>_pooled`,
 * and a video's keyframe tokens `video_keyframes`) instead of running the
 * encoder again in every epoch: the first batch that meets a media file
 * encodes it, later ones reuse it.
 *
 * The cache is only valid while those encoder parameters do not change; the
 * trainer makes one per stage (fixedEncoders) and drops it at the stage's end.
 */
import type * as ort from 'onnxruntime-node';
import { emitModel } from '../graph/emit-onnx.js';
import { Graph } from '../graph/graph.js';
import type { HostTensor } from '../graph/host-tensor.js';
import type { ModelConfig } from '../model/config.js';
import { MEDIA_MODALITIES, type MediaModality } from '../model/modalities.js';
import { declareModelInputs, featureInputName, type FeaturePart } from '../model/model-inputs.js';
import { MultimodalModel } from '../model/multimodal-model.js';
import type { ParamStore } from '../runtime/param-store.js';
import { Session } from '../runtime/session.js';
import { stackMedia } from './batches.js';
import type { DatasetExample } from './dataset.js';
import type { Stage } from './objectives/objective.js';
import type { StageSettings } from './trainer.js';

/** The graph outputs of a media item's features: tokens [T, D], pooled [D], keyframes [k, N_img, D]. */
const PARTS: readonly FeaturePart[] = ['tokens', 'pooled', 'keyframes'];

/** One media item's encoder outputs, each flattened without the batch dim. */
type Features = Partial<Record<FeaturePart, { shape: number[]; data: Float32Array }>>;

/**
 * The media encoders stage `stage` holds fixed and that none of its batches
 * trains: fixed by its `freeze` prefixes and, when it replays another stage,
 * by that stage's too. A video with the keyframe path also needs the image
 * encoder fixed (its keyframes go through it).
 */
export function fixedEncoders(stage: Stage, settings: Readonly<Record<Stage, StageSettings>>, cfg: ModelConfig): MediaModality[] {
  const fixedIn = (st: StageSettings | undefined, m: MediaModality) => (st?.freeze ?? []).some((prefix) => `encoders.${m}.`.startsWith(prefix));
  const own = settings[stage];
  const replayed = own.replay ? settings[own.replay.stage] : undefined;
  const fixed = (m: MediaModality) => fixedIn(own, m) && (!own.replay || fixedIn(replayed, m));
  return MEDIA_MODALITIES.filter((m) => fixed(m) && (m !== 'video' || cfg.video.keyframe !== 'image' || fixed('image')));
}

export class EncoderFeatureCache {
  private readonly sessions = new Map<MediaModality, Promise<{ session: Session; params: string[] }>>();
  private readonly items = new Map<string, Features>();

  constructor(
    readonly cfg: ModelConfig,
    readonly store: ParamStore,
    readonly o: {
      threads?: number;
      /** Adds the graph's parameters the store lacks, as the training sessions do (TaskSessions.ensureParams). */
      ensureParams?: (g: Graph) => void;
    } = {},
  ) {}

  /** The feeds `<m>_tokens` [B, T_m, D], `<m>_pooled` [B, D] (and `video_keyframes`) of `examples` for each of `modalities`, encoding the media not seen yet. */
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
      for (const part of PARTS) {
        const first = rows[0]![part];
        if (!first) continue;
        const data = new Float32Array(rows.length * first.data.length);
        rows.forEach((r, i) => data.set(r[part]!.data, i * first.data.length));
        out[featureInputName(m, part)] = { dtype: 'float32', shape: [rows.length, ...first.shape], data };
      }
    }
    return out;
  }

  /** Runs m's encoder on these examples' media with the store's current parameters and keeps each item's outputs. */
  private async encode(m: MediaModality, entries: [string, DatasetExample][]): Promise<void> {
    const { session, params } = await this.session(m);
    const feeds: Record<string, HostTensor | ort.Tensor> = { [m]: stackMedia(entries.map(([, ex]) => ex), m, this.cfg) };
    for (const path of params) feeds[path] = this.store.param(path, this.store.shape(path)).front;
    const r = await session.run(feeds);
    entries.forEach(([key], i) => {
      const item: Features = {};
      for (const part of PARTS) {
        const t = r[part];
        if (!t) continue;
        const per = (t.data as Float32Array).length / entries.length;
        item[part] = { shape: t.shape.slice(1), data: (t.data as Float32Array).slice(i * per, (i + 1) * per) };
      }
      this.items.set(key, item);
    });
  }

  /** The encoder graph of m (encoder, head and, for a keyframe video, image-encoder parameters, by path), compiled on first use. */
  private session(m: MediaModality): Promise<{ session: Session; params: string[] }> {
    let s = this.sessions.get(m);
    if (!s) {
      const g = new Graph(`features.${m}`);
      const model = new MultimodalModel(g, this.cfg, [m]);
      const inputs = declareModelInputs(g, this.cfg, [m]);
      const enc = model.forward(inputs, { training: false, encodersOnly: true }).encoders[m]!;
      const outputs = [
        { name: 'tokens', value: enc.tokens }, // [B, T_m, D]
        { name: 'pooled', value: enc.pooled }, // [B, D]
      ];
      if (m === 'video' && this.cfg.video.keyframe === 'image') outputs.push({ name: 'keyframes', value: model.encodeKeyframes(inputs.video!) }); // [B, k, N_img, D]
      this.o.ensureParams?.(g);
      const params = [...g.params.keys()];
      for (const p of params) if (!this.store.has(p)) throw new Error(`encoder features for ${m}: no value for parameter ${p}`);
      s = Session.create(emitModel(g, { outputs }), { threads: this.o.threads }).then((session) => ({ session, params }));
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
