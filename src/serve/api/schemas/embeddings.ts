/**
 * POST /v1/embeddings body: OpenAI's schema (input as a string, strings,
 * token ids, or lists of token ids; encoding_format float|base64) plus
 * mixmodal's media inputs as array items:
 *
 *   { "image": "data:image/png;base64,…" }
 *   { "audio": { "data": "<base64>", "format": "wav" } }
 *   { "video": { "data": "<base64>", "format": "mp4" } }
 */
import type { LimitsConfig } from '../../config.js';
import { audioObject, videoObject } from './content.js';

export type EmbeddingInputItem = string | number | number[] | { image?: string; audio?: { data: string; format: string }; video?: { data: string; format: string } };

export interface EmbeddingsRequest {
  model: string;
  input: string | EmbeddingInputItem[];
  encoding_format?: 'float' | 'base64';
  dimensions?: number;
  user?: string;
  priority?: number;
}

export function embeddingsRequestSchema(limits: LimitsConfig, priorityLevels: number) {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['model', 'input'],
    properties: {
      model: { type: 'string', minLength: 1 },
      input: {
        type: ['string', 'array'],
        minItems: 1,
        maxItems: limits.embeddingInputs,
        items: {
          type: ['string', 'integer', 'array', 'object'],
          minimum: 0,
          minItems: 1,
          items: { type: 'integer', minimum: 0 },
          additionalProperties: false,
          minProperties: 1,
          maxProperties: 1,
          properties: { image: { type: 'string', minLength: 1 }, audio: audioObject, video: videoObject },
        },
      },
      encoding_format: { enum: ['float', 'base64'] },
      dimensions: { type: 'integer', minimum: 1 },
      user: { type: 'string' },
      priority: { type: 'integer', minimum: 0, maximum: priorityLevels - 1 },
    },
  };
}
