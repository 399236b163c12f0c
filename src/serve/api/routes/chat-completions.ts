/**
 * POST /v1/chat/completions. The last user message is the input: its text
 * parts → the text modality, its media parts → the media modalities;
 * system, developer and assistant messages are validated and otherwise
 * ignored (the model answers one turn). The answer comes from the decoder,
 * which starts at <bos> and stops at <eos>, a stop string or max_tokens
 * (capped at the decoder's maxLen − 1). `stream: true` sends OpenAI
 * `chat.completion.chunk` events.
 */
import type { FastifyInstance } from 'fastify';
import type { GenerateParams, GenerateResult } from '../../engine-api.js';
import { contentToInput } from '../content-parts.js';
import { badRequest, toApiError } from '../openai-errors.js';
import { checkModel, inputContext, randomId, requestMeta, requestState, type ApiDeps } from '../request-context.js';
import { chatRequestSchema, type ChatRequest } from '../schemas/chat.js';
import { SseStream } from '../sse.js';

const usage = (r: GenerateResult) => ({ prompt_tokens: r.promptTokens, completion_tokens: r.tokens.length, total_tokens: r.promptTokens + r.tokens.length });

export function generateParams(body: ChatRequest, decoderMaxLen: number): GenerateParams {
  const cap = decoderMaxLen - 1;
  const stop = body.stop == null ? [] : typeof body.stop === 'string' ? [body.stop] : body.stop;
  return {
    maxTokens: Math.min(cap, body.max_completion_tokens ?? body.max_tokens ?? cap),
    temperature: body.temperature ?? 1,
    topP: body.top_p ?? 1,
    stop,
    seed: body.seed ?? undefined,
  };
}

export async function chatCompletionsRoute(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  const schema = { body: chatRequestSchema(deps.config.limits, deps.config.batching.priorityLevels) };
  const ctx = inputContext(deps);
  const fingerprint = `mixmodal-${deps.model.version}`;

  app.post('/v1/chat/completions', { schema }, async (req, reply) => {
    const body = req.body as ChatRequest;
    checkModel(deps, body.model);
    let last = -1;
    body.messages.forEach((m, i) => {
      if (m.role === 'user') last = i;
    });
    if (last < 0) throw badRequest('messages', "'messages' has no user message: the last user message is the model's input", 'no_user_message');
    const input = await contentToInput(body.messages[last]!.content as NonNullable<ChatRequest['messages'][number]['content']>, ctx, `messages[${last}].content`);
    const params = generateParams(body, deps.model.cfg.decoder.maxLen);
    const meta = requestMeta(deps, req, reply, 'chat', input, body);
    const id = randomId('chatcmpl');
    requestState(req).responseId = id;
    const created = Math.floor(Date.now() / 1000);
    const model = deps.model.id;

    if (!body.stream) {
      const r = await deps.engine.generate(input, params, meta);
      return {
        id,
        object: 'chat.completion',
        created,
        model,
        system_fingerprint: fingerprint,
        choices: [{ index: 0, message: { role: 'assistant', content: r.text, refusal: null }, logprobs: null, finish_reason: r.finishReason }],
        usage: usage(r),
      };
    }

    const sse = new SseStream(reply);
    const chunk = (delta: Record<string, unknown>, finish: string | null = null) => ({
      id,
      object: 'chat.completion.chunk',
      created,
      model,
      system_fingerprint: fingerprint,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    });
    const first = () => {
      if (!sse.isOpen) sse.send(chunk({ role: 'assistant', content: '' }));
    };
    try {
      const r = await deps.engine.generate(input, params, meta, (text) => {
        first();
        sse.send(chunk({ content: text }));
      });
      first();
      sse.send(chunk({}, r.finishReason));
      if (body.stream_options?.include_usage) sse.send({ id, object: 'chat.completion.chunk', created, model, system_fingerprint: fingerprint, choices: [], usage: usage(r) });
      sse.end();
    } catch (e) {
      if (!sse.isOpen) throw e; // nothing sent yet: an ordinary error response
      sse.send(toApiError(e).body());
      sse.end();
    }
    return reply;
  });
}
