/**
 * The HTTP API (fastify): OpenAI-compatible routes over an Engine, schema
 * validation with Ajv (no coercion, no silently dropped fields), every error
 * in the OpenAI shape, request metrics, and the draining switch (503 for new
 * model requests while accepted ones finish).
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { ApiError, toApiError } from './openai-errors.js';
import { requestState, type ApiDeps } from './request-context.js';
import { chatCompletionsRoute } from './routes/chat-completions.js';
import { embeddingsRoute } from './routes/embeddings.js';
import { healthRoutes } from './routes/health.js';
import { modelsRoute } from './routes/models.js';
import { routeExplainRoute } from './routes/route-explain.js';

export interface ApiApp {
  app: FastifyInstance;
  /** Answer 503 to new model requests from now on (health and metrics keep answering). */
  startDraining(): void;
  readonly draining: boolean;
}

/** Paths that keep answering while draining. */
const ALWAYS = new Set(['/healthz', '/readyz', '/metrics']);

export interface BuildAppOptions {
  /** fastify's logger option (default off). */
  logger?: boolean;
  /** Extra routes (e.g. the experiments' POST /v1/feedback). */
  plugins?: ((app: FastifyInstance) => Promise<void>)[];
}

export async function buildApp(deps: ApiDeps, o: BuildAppOptions = {}): Promise<ApiApp> {
  let draining = false;
  const bodyLimit = deps.config.limits.bodyBytes;
  const app = Fastify({
    logger: o.logger ?? false,
    bodyLimit,
    ajv: { customOptions: { removeAdditional: false, useDefaults: false, coerceTypes: false, allErrors: false, discriminator: true, verbose: true, allowUnionTypes: true } },
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  });
  app.removeContentTypeParser(['text/plain']); // JSON only: anything else is a 415

  app.setErrorHandler((err, req, reply) => {
    const e = toApiError(err, { bodyLimit, contentType: req.headers['content-type'] });
    if (e.status >= 500 && e.status !== 503 && e.status !== 504) app.log.error(err);
    return reply.code(e.status).headers(e.headers).send(e.body());
  });
  app.setNotFoundHandler((req, reply) => {
    const e = new ApiError(404, `no route ${req.method} ${req.url.split('?')[0]}`, null, 'unknown_url');
    return reply.code(404).send(e.body());
  });

  app.addHook('onRequest', async (req, reply) => {
    const start = performance.now();
    reply.raw.once('close', () => {
      const route = req.routeOptions.url ?? 'unmatched';
      const status = String(reply.raw.statusCode);
      const seconds = (performance.now() - start) / 1000;
      const labels = { method: req.method, route, status };
      deps.metrics.httpRequests.inc(labels);
      deps.metrics.httpDuration.observe(labels, seconds);
      const state = requestState(req);
      if (state.variant) {
        deps.metrics.variantRequests.inc({ variant: state.variant.name, route, status });
        deps.metrics.variantDuration.observe({ variant: state.variant.name, route }, seconds);
        void deps.experiments?.recordRequest?.(state.responseId ?? String(req.id), state.variant.name, seconds * 1000, reply.raw.statusCode < 400).catch(() => undefined);
      }
    });
    if (draining && !ALWAYS.has(req.url.split('?')[0]!)) {
      const e = new ApiError(503, 'the server is shutting down and accepts no new requests', null, 'draining', { 'retry-after': '5' });
      return reply.code(503).headers(e.headers).send(e.body());
    }
  });

  await app.register(async (scope) => {
    await healthRoutes(scope, { ...deps, draining: () => draining });
    await modelsRoute(scope, deps);
    await chatCompletionsRoute(scope, deps);
    await embeddingsRoute(scope, deps);
    await routeExplainRoute(scope, deps);
    for (const p of o.plugins ?? []) await p(scope);
  });

  return {
    app,
    startDraining: () => {
      draining = true;
    },
    get draining() {
      return draining;
    },
  };
}
