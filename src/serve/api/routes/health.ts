/**
 * GET /healthz (the process is alive), GET /readyz (model loaded, queue not
 * saturated, not draining), GET /metrics (Prometheus text format).
 */
import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from '../request-context.js';

export async function healthRoutes(app: FastifyInstance, deps: ApiDeps & { draining: () => boolean }): Promise<void> {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    const s = deps.engine.stats();
    const ready = !deps.draining() && deps.engine.ready();
    const reason = deps.draining() ? 'draining' : ready ? null : s.queued >= s.capacity ? 'queue saturated' : 'engine not ready';
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', reason, model: deps.model.id, queued: s.queued, running: s.running, capacity: s.capacity });
  });
  app.get('/metrics', async (_req, reply) => {
    const text = await deps.metrics.registry.metrics();
    return reply.type(deps.metrics.registry.contentType).send(text);
  });
}
