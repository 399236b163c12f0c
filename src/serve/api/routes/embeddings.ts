/**
 * POST /v1/embeddings: unit-norm embeddings from the encoders and projection
 * heads (the shared space of the model's two-tower retrieval). Text inputs
 * (strings or token ids) are cut to the text encoder's maxTextLen; media
 * inputs are the documented extension objects. `usage` counts text tokens.
 */
import type { FastifyInstance } from 'fastify';
import type { ModelInput } from '../../engine-api.js';
import { textTokens } from '../content-parts.js';
import { audioInput, imageInput, videoInput } from '../media-inputs.js';
import { badRequest } from '../openai-errors.js';
import { checkModel, inputContext, requestMeta, type ApiDeps } from '../request-context.js';
import { embeddingsRequestSchema, type EmbeddingInputItem, type EmbeddingsRequest } from '../schemas/embeddings.js';

export async function embeddingsRoute(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  const schema = { body: embeddingsRequestSchema(deps.config.limits, deps.config.batching.priorityLevels) };
  const ctx = inputContext(deps);
  const { cfg } = deps.model;

  const tokenIds = (ids: number[], param: string): number[] => {
    ids.forEach((t, j) => {
      if (t >= cfg.core.vocabSize) throw badRequest(`${param}[${j}]`, `'${param}[${j}]' = ${t} is not a token id of this model (0..${cfg.core.vocabSize - 1})`, 'invalid_token');
    });
    if (ids.length > deps.config.limits.inputTokens) throw badRequest(param, `'${param}' has ${ids.length} tokens; the limit is ${deps.config.limits.inputTokens} (limits.inputTokens)`, 'too_many_tokens');
    return ids.slice(0, cfg.text.maxTextLen);
  };

  const toInput = async (item: EmbeddingInputItem, param: string): Promise<ModelInput> => {
    if (typeof item === 'string') {
      if (item.trim() === '') throw badRequest(param, `'${param}' is an empty string`, 'empty_input');
      return { signature: ['text'], textIds: textTokens(item, ctx, param) };
    }
    if (typeof item === 'number') throw badRequest(param, `'${param}': mix token ids and other inputs only as lists of token ids`, 'invalid_input');
    if (Array.isArray(item)) return { signature: ['text'], textIds: tokenIds(item, param) };
    if (item.image !== undefined) return { signature: ['image'], image: await imageInput(item.image, ctx, `${param}.image`) };
    if (item.audio !== undefined) return { signature: ['audio'], audio: await audioInput(item.audio.data, item.audio.format, ctx, `${param}.audio.data`) };
    return { signature: ['video'], video: await videoInput(item.video!.data, item.video!.format, ctx, `${param}.video.data`) };
  };

  app.post('/v1/embeddings', { schema }, async (req, reply) => {
    const body = req.body as EmbeddingsRequest;
    checkModel(deps, body.model);
    if (body.dimensions !== undefined && body.dimensions !== cfg.core.embedDim) {
      throw badRequest('dimensions', `'dimensions' must be ${cfg.core.embedDim} for ${deps.model.id} (its embedding width), got ${body.dimensions}`);
    }
    const raw = body.input;
    // OpenAI: a flat list of integers is ONE input of token ids
    const items: [EmbeddingInputItem, string][] =
      typeof raw === 'string' ? [[raw, 'input']] : raw.every((x) => typeof x === 'number') ? [[raw as number[], 'input']] : raw.map((x, i) => [x, `input[${i}]`]);
    const settled = await Promise.allSettled(items.map(([x, p]) => toInput(x, p)));
    const bad = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (bad) throw bad.reason;
    const inputs = settled.map((r) => (r as PromiseFulfilledResult<ModelInput>).value);
    const meta = requestMeta(deps, req, reply, 'embeddings', inputs[0]!, body);
    const results = await Promise.all(inputs.map((x) => deps.engine.embed(x, meta)));
    const base64 = body.encoding_format === 'base64';
    const tokens = inputs.reduce((s, x) => s + (x.textIds?.length ?? 0), 0);
    return {
      object: 'list',
      data: results.map((r, index) => ({
        object: 'embedding',
        index,
        embedding: base64 ? Buffer.from(r.embedding.buffer, r.embedding.byteOffset, r.embedding.byteLength).toString('base64') : Array.from(r.embedding),
      })),
      model: deps.model.id,
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    };
  });
}
