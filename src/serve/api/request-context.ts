/**
 * What every model route shares: the served model and its checks, the
 * engine, the config, and per-request metadata for the engine (priority,
 * deadline, cancellation when the client goes away, the experiment's
 * routing variant).
 */
import { randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { BpeTokenizer } from '../../data/tokenizer/tokenizer.js';
import type { ModelConfig } from '../../model/config.js';
import type { ServeConfig } from '../config.js';
import type { Engine, ExperimentAssigner, ModelInput, RequestMeta, RoutingVariant } from '../engine-api.js';
import type { ServeMetrics } from '../metrics/registry.js';
import type { InputContext } from './content-parts.js';
import { ApiError } from './openai-errors.js';

export interface ServedModel {
  /** The id clients put in `model`. */
  id: string;
  cfg: ModelConfig;
  tokenizer: BpeTokenizer;
  /** Hash of weights + config (cache keys, system_fingerprint). */
  version: string;
  /** Unix seconds the model was loaded. */
  created: number;
}

export interface ApiDeps {
  engine: Engine;
  model: ServedModel;
  config: ServeConfig;
  metrics: ServeMetrics;
  experiments?: ExperimentAssigner;
}

/** Per-request facts the hooks read when the response closes. */
export interface RequestState {
  variant?: RoutingVariant;
  responseId?: string;
}

const states = new WeakMap<FastifyRequest, RequestState>();

export function requestState(req: FastifyRequest): RequestState {
  let s = states.get(req);
  if (!s) states.set(req, (s = {}));
  return s;
}

export function randomId(prefix: string): string {
  return `${prefix}-${randomBytes(12).toString('base64url')}`;
}

export function inputContext(deps: ApiDeps): InputContext {
  return { cfg: deps.model.cfg, limits: deps.config.limits, tokenizer: deps.model.tokenizer };
}

/** 404 in the OpenAI shape unless `model` is the served one. */
export function checkModel(deps: ApiDeps, model: string): void {
  if (model !== deps.model.id) {
    throw new ApiError(404, `The model '${model}' does not exist; this server serves '${deps.model.id}' (see GET /v1/models)`, 'model', 'model_not_found');
  }
}

/** The engine's RequestMeta for this request: cancelled when the client disconnects. */
export function requestMeta(deps: ApiDeps, req: FastifyRequest, reply: FastifyReply, route: string, input: ModelInput, body: { priority?: number; user?: string }): RequestMeta {
  const ac = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) ac.abort();
  });
  const state = requestState(req);
  if (deps.experiments) {
    const header = req.headers['x-user-id'];
    const key = body.user || (Array.isArray(header) ? header[0] : header) || `request:${req.id}`;
    state.variant = deps.experiments.assign({ route, key, signature: input.signature });
  }
  return {
    priority: body.priority ?? 0,
    deadline: Date.now() + deps.config.batching.requestTimeoutMs,
    signal: ac.signal,
    variant: state.variant,
  };
}
