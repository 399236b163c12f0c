/** Evaluation on a split: retrieval, QA, captioning (BLEU-4), routing statistics, and the report's text form. */
export { evaluate, EVAL_REPORT_FORMAT, type EvalReport, type EvaluateOptions } from './evaluate.js';
export { formatEvalReport, formatTable } from './report-format.js';
export { corpusBleu, whitespaceTokens, type BleuScore } from './bleu.js';
export { evaluateRetrieval, planRetrieval, retrievalRanks, summariseRanks, type RetrievalDirection, type RetrievalPlan, type RetrievalReport } from './retrieval.js';
export { evaluateQa, qaExamples, type AccuracyCell, type GenerationSample, type QaReport } from './qa.js';
export { captionExamples, evaluateCaptioning, type CaptionCell, type CaptionReport } from './captioning.js';
export { RoutingAccumulator, type RoutingLayerReport, type RoutingReport } from './routing-report.js';
export { decodeGenerated, normalizeText, type EmbeddingModel, type EvalRuntime, type TextGenerator } from './eval-runtime.js';
export { generateAnswers } from './generate-answers.js';
