/** GET /v1/models and GET /v1/models/:model (OpenAI schema). */
import type { FastifyInstance } from 'fastify';
import { checkModel, type ApiDeps } from '../request-context.js';

export async function modelsRoute(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  const card = () => ({ id: deps.model.id, object: 'model', created: deps.model.created, owned_by: 'mixmodal' });
  app.get('/v1/models', async () => ({ object: 'list', data: [card()] }));
  app.get('/v1/models/:model', async (req) => {
    checkModel(deps, (req.params as { model: string }).model);
    return card();
  });
}
