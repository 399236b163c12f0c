/**
 * One training session per task (stage × task × modality signature), all
 * sharing one ParamStore, compiled the first time a batch of that task
 * arrives. Parameters a task brings that the store lacks are initialised
 * from (seed, parameter path), so every task agrees on them.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { buildTrainingGraph } from '../autodiff/training-graph.js';
import type { OptimizerConfig } from '../autodiff/optimizers.js';
import type { Graph } from '../graph/graph.js';
import type { ModelConfig } from '../model/config.js';
import type { MediaModality } from '../model/modalities.js';
import { initParam } from '../runtime/init-params.js';
import type { ParamStore } from '../runtime/param-store.js';
import { TrainingSession } from '../runtime/training-session.js';
import { Session } from '../runtime/session.js';
import { emitModel } from '../graph/emit-onnx.js';
import type { HostTensor } from '../graph/host-tensor.js';
import type * as ort from 'onnxruntime-node';
import { contrastiveObjective } from './objectives/contrastive.js';
import { instructObjective } from './objectives/instruct.js';
import { maskedModelingObjective, type MaskedModality } from './objectives/masked-modeling.js';
import { taskId, type Objective, type TaskKey } from './objectives/objective.js';
import { textLmObjective } from './objectives/text-lm.js';

export interface TaskSessionOptions {
  optimizer: OptimizerConfig;
  /** Global gradient-norm clip (default 1). */
  clipGradNorm?: number;
  /** Seed of parameter initialisation. */
  seed: number;
  /** ONNX Runtime intra-op threads (default: cores). */
  threads?: number;
  /**
   * Record every session's ONNX Runtime profile to `<dir>/<task id>_<time>.json`
   * (evaluation sessions `<dir>/eval.<task id>_…`), written on release.
   */
  profileDir?: string;
  /** Parameters held fixed in a task (fed, never updated). */
  frozen?: (key: TaskKey, path: string) => boolean;
}

/** Traces the objective of a task; `features`: media read as fixed encoders' outputs (instruction tasks only). */
export function buildObjective(cfg: ModelConfig, key: TaskKey, features: readonly MediaModality[] = []): Objective {
  if (features.length > 0 && key.task !== 'instruct') throw new Error(`task ${taskId(key)} cannot take encoder features`);
  switch (key.task) {
    case 'lm':
      return textLmObjective(cfg);
    case 'masked':
      if (key.signature.length !== 1 || key.signature[0] === 'text') throw new Error(`masked modelling takes one of image/audio/video, got ${key.signature.join('+')}`);
      return maskedModelingObjective(cfg, key.signature[0] as MaskedModality);
    case 'contrastive':
      return contrastiveObjective(cfg, key.signature);
    case 'instruct':
      return instructObjective(cfg, key.signature, features);
  }
}

/** A forward-only session of a task's objective, for validation losses. */
interface EvalSession {
  session: Session;
  objective: Objective;
}

export class TaskSessions {
  private readonly sessions = new Map<string, Promise<TrainingSession>>();
  private readonly evalSessions = new Map<string, Promise<EvalSession>>();

  constructor(
    readonly cfg: ModelConfig,
    readonly store: ParamStore,
    readonly o: TaskSessionOptions,
  ) {}

  /** The session of `key` (reading `features` as encoder outputs, see buildObjective), compiled on first use. */
  get(key: TaskKey, features: readonly MediaModality[] = []): Promise<TrainingSession> {
    const id = features.length > 0 ? `${taskId(key)}.features.${features.join('+')}` : taskId(key);
    let s = this.sessions.get(id);
    if (!s) {
      s = this.create(key, features, id);
      this.sessions.set(id, s);
      s.catch(() => this.sessions.delete(id));
    }
    return s;
  }

  private async create(key: TaskKey, features: readonly MediaModality[], id: string): Promise<TrainingSession> {
    const obj = buildObjective(this.cfg, key, features);
    this.ensureParams(obj.graph);
    const tg = buildTrainingGraph(obj.graph, obj.loss, {
      optimizer: this.o.optimizer,
      clipGradNorm: this.o.clipGradNorm ?? 1,
      updateMasks: obj.updateMasks,
      metrics: obj.metrics,
      unusedParams: 'skip', // e.g. the text encoder in the decoder-only LM task
      frozen: (path) => this.o.frozen?.(key, path) ?? false,
    });
    return TrainingSession.create(tg, this.store, { threads: this.o.threads, profilePrefix: this.profilePrefix(id) });
  }

  /**
   * The loss and metrics of a batch with the current parameters, without a
   * step. The objective is the training one (MoE jitter from the batch's
   * noise seed, training capacity factor), so validation and training losses compare.
   */
  async evaluate(key: TaskKey, feeds: Record<string, HostTensor>): Promise<Record<string, number>> {
    const id = taskId(key);
    let e = this.evalSessions.get(id);
    if (!e) {
      e = (async () => {
        const objective = buildObjective(this.cfg, key);
        const outputs = [{ name: 'loss', value: objective.loss }, ...Object.entries(objective.metrics).map(([name, value]) => ({ name, value }))];
        return { objective, session: await Session.create(emitModel(objective.graph, { outputs }), { threads: this.o.threads, profilePrefix: this.profilePrefix(`eval.${id}`) }) };
      })();
      this.evalSessions.set(id, e);
      e.catch(() => this.evalSessions.delete(id));
    }
    const { session, objective } = await e;
    const all: Record<string, HostTensor | ort.Tensor> = { ...feeds };
    this.ensureParams(objective.graph);
    for (const path of objective.graph.params.keys()) all[path] = this.store.param(path, this.store.shape(path)).front;
    const out = await session.run(all);
    return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, Number((v.data as Float32Array)[0])]));
  }

  private profilePrefix(name: string): string | undefined {
    if (!this.o.profileDir) return undefined;
    mkdirSync(this.o.profileDir, { recursive: true });
    return join(this.o.profileDir, name);
  }

  /** Adds the parameters of `graph` that the store lacks, initialised from (seed, path). */
  ensureParams(graph: Graph): void {
    for (const [path, info] of graph.params) {
      if (!this.store.has(path)) this.store.add(path, initParam(path, info.value.shape as number[], info.init, this.o.seed));
    }
  }

  async release(): Promise<void> {
    for (const s of this.sessions.values()) await (await s).release();
    for (const s of this.evalSessions.values()) await (await s).session.release();
    this.sessions.clear();
    this.evalSessions.clear();
  }
}
