/**
 * POST /v1/chat/completions body: the OpenAI Chat Completions schema, minus
 * tools and logprobs; plus `priority` (vLLM's extension). Unknown fields and
 * wrong types are 400s naming the field.
 */
import type { LimitsConfig } from '../../config.js';
import type { ContentPart } from '../content-parts.js';
import { content, contentPart, textPart } from './content.js';

export interface ChatMessage {
  role: 'system' | 'developer' | 'user' | 'assistant';
  content?: string | ContentPart[] | null;
  name?: string;
}

export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  max_tokens?: number | null;
  max_completion_tokens?: number | null;
  temperature?: number | null;
  top_p?: number | null;
  n?: number | null;
  stream?: boolean | null;
  stream_options?: { include_usage?: boolean } | null;
  stop?: string | string[] | null;
  seed?: number | null;
  user?: string;
  priority?: number;
}

const message = (role: string, c: unknown, required: string[] = ['role', 'content']) => ({
  type: 'object',
  additionalProperties: false,
  required,
  properties: { role: { const: role }, content: c, name: { type: 'string' } },
});

export function chatRequestSchema(limits: LimitsConfig, priorityLevels: number) {
  const textOnly = content(textPart);
  return {
    type: 'object',
    additionalProperties: false,
    required: ['model', 'messages'],
    properties: {
      model: { type: 'string', minLength: 1 },
      messages: {
        type: 'array',
        minItems: 1,
        items: {
          type: 'object',
          required: ['role'],
          discriminator: { propertyName: 'role' },
          oneOf: [
            message('system', textOnly),
            message('developer', textOnly),
            message('user', content(contentPart)),
            {
              type: 'object',
              additionalProperties: false,
              required: ['role'],
              properties: { role: { const: 'assistant' }, content: { type: ['string', 'array', 'null'], items: textPart }, name: { type: 'string' }, refusal: { type: ['string', 'null'] } },
            },
          ],
        },
      },
      max_tokens: { type: ['integer', 'null'], minimum: 1, maximum: limits.maxTokens },
      max_completion_tokens: { type: ['integer', 'null'], minimum: 1, maximum: limits.maxTokens },
      temperature: { type: ['number', 'null'], minimum: 0, maximum: 2 },
      top_p: { type: ['number', 'null'], exclusiveMinimum: 0, maximum: 1 },
      n: { type: ['integer', 'null'], const: 1 },
      stream: { type: ['boolean', 'null'] },
      stream_options: { type: ['object', 'null'], additionalProperties: false, properties: { include_usage: { type: 'boolean' } } },
      stop: { type: ['string', 'array', 'null'], maxItems: 4, items: { type: 'string', minLength: 1 } },
      seed: { type: ['integer', 'null'] },
      user: { type: 'string' },
      priority: { type: 'integer', minimum: 0, maximum: priorityLevels - 1 },
    },
  };
}
