/**
 * POST /v1/route: the routing explanation of one input — the modality gate
 * weights, and per MoE layer the experts each modality's tokens went to
 * (token→expert assignments; each token counts once per expert of its top-k).
 */
import type { FastifyInstance } from 'fastify';
import { contentToInput } from '../content-parts.js';
import { checkModel, inputContext, requestMeta, type ApiDeps } from '../request-context.js';
import { routeRequestSchema, type RouteRequest } from '../schemas/route.js';

export async function routeExplainRoute(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  const schema = { body: routeRequestSchema(deps.config.batching.priorityLevels) };
  const ctx = inputContext(deps);
  app.post('/v1/route', { schema }, async (req, reply) => {
    const body = req.body as RouteRequest;
    checkModel(deps, body.model);
    const input = await contentToInput(body.input, ctx, 'input');
    const meta = requestMeta(deps, req, reply, 'route', input, body);
    const r = await deps.engine.route(input, meta);
    return {
      object: 'route',
      model: deps.model.id,
      signature: input.signature,
      variant: meta.variant?.name ?? null,
      gate_weights: r.gateWeights,
      layers: r.layers.map((l) => ({
        layer: l.layer,
        dropped_tokens: l.dropped,
        tokens_per_expert: l.tokensPerModalityExpert,
        experts: Object.fromEntries(
          Object.entries(l.tokensPerModalityExpert).map(([m, counts]) => [
            m,
            counts
              .map((tokens, expert) => ({ expert, tokens }))
              .filter((x) => x.tokens > 0)
              .sort((a, b) => b.tokens - a.tokens || a.expert - b.expert),
          ]),
        ),
      })),
    };
  });
}
