/**
 * A/B tests of routing strategies. `mixmodal serve --experiments FILE` loads
 * `loadExperiments` (engine-api.ts's ExperimentsLoader): the returned
 * Experiment assigns variants (`assign`), logs completed responses
 * (`recordRequest`), and its `store` backs POST /v1/feedback
 * (`app.register(experimentsRoutes, { store: experiment.store })`).
 */
import type { ModelConfig } from '../../model/config.js';
import type { ExperimentsLoader } from '../engine-api.js';
import { Experiment } from './experiment.js';

export { Experiment, defaultLogPath, type ExperimentLoadOptions } from './experiment.js';
export { assignVariant, hashUnit, userKeyOf, variantAt, USER_HEADER, type Assignment } from './assignment.js';
export { loadExperimentConfig, parseExperimentConfig, type ExperimentConfig, type ExperimentVariant } from './experiments-file.js';
export { FeedbackStore, parseLog, type FeedbackRecord, type LogRecord, type RequestRecord } from './feedback-store.js';
export { buildReport, formatReport, reportFromLog, type ExperimentReport, type VariantComparison, type VariantReport } from './report.js';
export { experimentsRoutes, type ExperimentsRoutesDeps } from './routes.js';

/** Loads an experiments file (and opens its log next to it); with `cfg`, topK is checked against the model's experts. */
export const loadExperiments: ExperimentsLoader & ((file: string, cfg?: ModelConfig) => Promise<Experiment>) = (file: string, cfg?: ModelConfig) =>
  Experiment.load({ file, cfg });
