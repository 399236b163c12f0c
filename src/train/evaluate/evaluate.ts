/**
 * Evaluation of a model on one split: cross-modal retrieval, question
 * answering, captioning, and the routing statistics of the batches the
 * generation tasks encoded, as one typed, JSON-serialisable report.
 */
import type { BpeTokenizer } from '../../data/tokenizer/tokenizer.js';
import type { DatasetExample } from '../dataset.js';
import { captionExamples, evaluateCaptioning, type CaptionReport } from './captioning.js';
import type { EvalRuntime } from './eval-runtime.js';
import { evaluateQa, qaExamples, type QaReport } from './qa.js';
import { evaluateRetrieval, planRetrieval, retrievalWork, type RetrievalReport } from './retrieval.js';
import { RoutingAccumulator, type RoutingReport } from './routing-report.js';

export const EVAL_REPORT_FORMAT = 'mixmodal-eval/1';

export interface EvalReport {
  format: typeof EVAL_REPORT_FORMAT;
  /** The model config's name. */
  model: string;
  /** Examples evaluated (after maxExamples). */
  examples: number;
  /** Rows per encode / embed run. */
  batch: number;
  retrieval: RetrievalReport;
  qa: QaReport;
  captioning: CaptionReport;
  /** Over the QA and captioning encode runs (retrieval uses the encoder towers only). */
  routing: RoutingReport;
  /** Wall time of the evaluation. */
  seconds: number;
}

export interface EvaluateOptions {
  /** Rows per run (default 32). */
  batch?: number;
  /** Evaluate only the first N examples. */
  maxExamples?: number;
  /** Called as work completes: units are embedded items + QA examples + captioned examples. */
  onProgress?: (done: number, total: number) => void;
}

export async function evaluate(runtime: EvalRuntime, tokenizer: BpeTokenizer, examples: readonly DatasetExample[], o: EvaluateOptions = {}): Promise<EvalReport> {
  const t0 = performance.now();
  const batch = o.batch ?? 32;
  if (!(Number.isInteger(batch) && batch >= 1)) throw new Error(`evaluate: batch must be a positive integer, got ${batch}`);
  const exs = o.maxExamples !== undefined ? examples.slice(0, o.maxExamples) : examples;
  const plan = planRetrieval(exs);
  const total = retrievalWork(plan) + qaExamples(exs).length + captionExamples(exs).length;
  let done = 0;
  const tick = (n: number) => {
    done += n;
    o.onProgress?.(done, total);
  };
  o.onProgress?.(0, total);
  const routing = new RoutingAccumulator(runtime.cfg);
  const retrieval = await evaluateRetrieval(runtime, tokenizer, plan, { batch, onEmbedded: tick });
  const qa = await evaluateQa(runtime, tokenizer, exs, { batch, routing, onDone: tick });
  const captioning = await evaluateCaptioning(runtime, tokenizer, exs, { batch, routing, onDone: tick });
  return {
    format: EVAL_REPORT_FORMAT,
    model: runtime.cfg.core.name,
    examples: exs.length,
    batch,
    retrieval,
    qa,
    captioning,
    routing: routing.report(),
    seconds: (performance.now() - t0) / 1000,
  };
}
