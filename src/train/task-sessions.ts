/**
 * One training session per task (stage × task × modality signature), all
 * sharing one ParamStore, compiled the first time a batch of that task
 * arrives. Parameters a task brings that the store lacks are initialised
 * from (seed, parameter path), so every task agrees on them.
 */
import { buildTrainingGraph } from '../autodiff/training-graph.js';
import type { OptimizerConfig } from '../autodiff/optimizers.js';
import type { ModelConfig } from '../model/config.js';
import { initParam } from '../runtime/init-params.js';
import type { ParamStore } from '../runtime/param-store.js';
import { TrainingSession } from '../runtime/training-session.js';
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
}

/** Traces the objective of a task. */
export function buildObjective(cfg: ModelConfig, key: TaskKey): Objective {
  switch (key.task) {
    case 'lm':
      return textLmObjective(cfg);
    case 'masked':
      if (key.signature.length !== 1 || key.signature[0] === 'text') throw new Error(`masked modelling takes one of image/audio/video, got ${key.signature.join('+')}`);
      return maskedModelingObjective(cfg, key.signature[0] as MaskedModality);
    case 'contrastive':
      return contrastiveObjective(cfg, key.signature);
    case 'instruct':
      return instructObjective(cfg, key.signature);
  }
}

export class TaskSessions {
  private readonly sessions = new Map<string, Promise<TrainingSession>>();

  constructor(
    readonly cfg: ModelConfig,
    readonly store: ParamStore,
    readonly o: TaskSessionOptions,
  ) {}

  /** The session of `key`, compiled on first use. */
  get(key: TaskKey): Promise<TrainingSession> {
    const id = taskId(key);
    let s = this.sessions.get(id);
    if (!s) {
      s = this.create(key);
      this.sessions.set(id, s);
      s.catch(() => this.sessions.delete(id));
    }
    return s;
  }

  private async create(key: TaskKey): Promise<TrainingSession> {
    const obj = buildObjective(this.cfg, key);
    for (const [path, info] of obj.graph.params) {
      if (!this.store.has(path)) this.store.add(path, initParam(path, info.value.shape as number[], info.init, this.o.seed));
    }
    const tg = buildTrainingGraph(obj.graph, obj.loss, {
      optimizer: this.o.optimizer,
      clipGradNorm: this.o.clipGradNorm ?? 1,
      updateMasks: obj.updateMasks,
      metrics: obj.metrics,
      unusedParams: 'skip', // e.g. the text encoder in the decoder-only LM task
    });
    return TrainingSession.create(tg, this.store, { threads: this.o.threads });
  }

  async release(): Promise<void> {
    for (const s of this.sessions.values()) await (await s).release();
    this.sessions.clear();
  }
}
