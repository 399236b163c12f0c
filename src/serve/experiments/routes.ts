/**
 * POST /v1/feedback — whether an answer was right, for the A/B test report:
 *
 *   { "id": "chatcmpl-…", "correct": true }  →  200 { "object": "feedback", "id", "variant", "correct" }
 *
 * 400 for a malformed body, 404 for an id the experiment log does not know
 * (not served under an experiment, or forgotten). Errors have the OpenAI
 * shape { error: { message, type, param, code } }.
 *
 * A fastify plugin: `app.register(experimentsRoutes, { store })`.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { FeedbackStore } from './feedback-store.js';

export interface ExperimentsRoutesDeps {
  store: FeedbackStore;
}

function fail(reply: FastifyReply, status: number, message: string, param: string | null, code: string) {
  return reply.code(status).send({ error: { message, type: status === 404 ? 'not_found_error' : 'invalid_request_error', param, code } });
}

export async function experimentsRoutes(app: FastifyInstance, deps: ExperimentsRoutesDeps): Promise<void> {
  app.post('/v1/feedback', async (req, reply) => {
    const body = req.body as Record<string, unknown> | null | undefined;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return fail(reply, 400, 'the body must be a JSON object { "id": "<response id>", "correct": true|false }', null, 'invalid_body');
    const unknown = Object.keys(body).filter((k) => k !== 'id' && k !== 'correct');
    if (unknown.length > 0) return fail(reply, 400, `unknown field '${unknown[0]}' (expected id and correct)`, unknown[0]!, 'unknown_field');
    if (typeof body.id !== 'string' || body.id === '') return fail(reply, 400, "'id' must be the id of a response (a non-empty string)", 'id', 'invalid_id');
    if (typeof body.correct !== 'boolean') return fail(reply, 400, "'correct' must be true or false", 'correct', 'invalid_correct');
    const rec = await deps.store.recordFeedback(body.id, body.correct);
    if (!rec) return fail(reply, 404, `no response '${body.id}' in the experiment log (only responses served under an experiment take feedback)`, 'id', 'unknown_id');
    return reply.code(200).send({ object: 'feedback', id: rec.requestId, variant: rec.variant, correct: rec.correct });
  });
}
