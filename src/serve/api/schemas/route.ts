/**
 * POST /v1/route body: an input to explain — a string, or content parts as
 * in a chat message (text, image_url, input_audio, video):
 *
 *   { "model": "mm-small-synth", "input": [{ "type": "text", "text": "…" }, { "type": "image_url", … }] }
 */
import type { ContentPart } from '../content-parts.js';
import { content, contentPart } from './content.js';

export interface RouteRequest {
  model: string;
  input: string | ContentPart[];
  user?: string;
  priority?: number;
}

export function routeRequestSchema(priorityLevels: number) {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['model', 'input'],
    properties: {
      model: { type: 'string', minLength: 1 },
      input: content(contentPart),
      user: { type: 'string' },
      priority: { type: 'integer', minimum: 0, maximum: priorityLevels - 1 },
    },
  };
}
