/**
 * JSON schemas of message content (validated by fastify's Ajv, with
 * `discriminator` on the part's `type`): OpenAI's text, image_url and
 * input_audio parts, and mixmodal's video part of the same shape as
 * input_audio.
 */

export const AUDIO_FORMATS = ['wav', 'mp3', 'flac', 'ogg'] as const;
export const VIDEO_FORMATS = ['mp4', 'webm', 'y4m'] as const;

const obj = (required: string[], properties: Record<string, unknown>) => ({ type: 'object', additionalProperties: false, required, properties });

export const textPart = obj(['type', 'text'], { type: { const: 'text' }, text: { type: 'string' } });

export const imagePart = obj(['type', 'image_url'], {
  type: { const: 'image_url' },
  image_url: obj(['url'], { url: { type: 'string', minLength: 1 }, detail: { enum: ['auto', 'low', 'high'] } }),
});

export const audioPart = obj(['type', 'input_audio'], {
  type: { const: 'input_audio' },
  input_audio: obj(['data', 'format'], { data: { type: 'string', minLength: 1 }, format: { enum: AUDIO_FORMATS } }),
});

export const videoPart = obj(['type', 'video'], {
  type: { const: 'video' },
  video: obj(['data', 'format'], { data: { type: 'string', minLength: 1 }, format: { enum: VIDEO_FORMATS } }),
});

/** Any content part. */
export const contentPart = { type: 'object', required: ['type'], discriminator: { propertyName: 'type' }, oneOf: [textPart, imagePart, audioPart, videoPart] };

/** A string, or an array of parts. */
export const content = (part: unknown) => ({ type: ['string', 'array'], minItems: 1, items: part });

/** The media object of an embeddings input / route input. */
export const audioObject = obj(['data', 'format'], { data: { type: 'string', minLength: 1 }, format: { enum: AUDIO_FORMATS } });
export const videoObject = obj(['data', 'format'], { data: { type: 'string', minLength: 1 }, format: { enum: VIDEO_FORMATS } });
