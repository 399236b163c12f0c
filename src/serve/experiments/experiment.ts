/**
 * A running A/B test: the experiments file, the sticky assignment and the
 * log. The HTTP layer calls `assign` when a request arrives (the variant
 * goes into RequestMeta.variant), `recordRequest` when its response has
 * completed, and POST /v1/feedback (routes.ts) records whether it was right.
 */
import { basename, dirname, join } from 'node:path';
import type { ModelConfig } from '../../model/config.js';
import type { Modality } from '../../model/modalities.js';
import type { ExperimentAssigner, RoutingVariant } from '../engine-api.js';
import { assignVariant, hashUnit, userKeyOf, variantAt, type Assignment } from './assignment.js';
import { loadExperimentConfig, type ExperimentConfig } from './experiments-file.js';
import { FeedbackStore } from './feedback-store.js';

export interface ExperimentLoadOptions {
  /** The experiments JSON file. */
  file: string;
  /** The served model's config: topK is checked against its experts. */
  cfg?: ModelConfig;
  /** The JSON Lines log (default: `<file name>.log.jsonl` next to the file). */
  logPath?: string;
}

/** The default log of an experiments file: `routing.json` → `routing.log.jsonl`. */
export function defaultLogPath(file: string): string {
  return join(dirname(file), `${basename(file, '.json')}.log.jsonl`);
}

export class Experiment implements ExperimentAssigner {
  constructor(
    readonly config: ExperimentConfig,
    readonly store: FeedbackStore,
  ) {}

  static async load(o: ExperimentLoadOptions): Promise<Experiment> {
    const config = await loadExperimentConfig(o.file, o.cfg);
    return new Experiment(config, await FeedbackStore.open(o.logPath ?? defaultLogPath(o.file)));
  }

  /**
   * The variant of a request: sticky by the body's `user` field or the
   * X-User-Id header; by `requestId` otherwise.
   */
  assignRequest(requestId: string, body?: { user?: unknown }, headers?: Record<string, string | string[] | undefined>): Assignment {
    return assignVariant(this.config, userKeyOf(body, headers), requestId);
  }

  /**
   * engine-api.ts's ExperimentAssigner: `key` is the sticky key (the user id
   * from userKeyOf, else the request id); the same key always gets the same variant.
   */
  assign(request: { route: string; key: string; signature: Modality[] }): RoutingVariant | undefined {
    const v = variantAt(this.config.variants, hashUnit(this.config.name, `user:${request.key}`));
    const out: RoutingVariant = { name: v.name };
    if (v.gateStrategy !== undefined) out.gateStrategy = v.gateStrategy;
    if (v.topK !== undefined) out.topK = v.topK;
    if (v.capacityFactor !== undefined) out.capacityFactor = v.capacityFactor;
    return out;
  }

  /** Logs a completed response (its id is what feedback names). */
  async recordRequest(requestId: string, variant: string, latencyMs: number, ok = true): Promise<void> {
    await this.store.recordRequest({ requestId, experiment: this.config.name, variant, latencyMs, ok });
  }

  close(): Promise<void> {
    return this.store.close();
  }
}
