/**
 * Errors in the OpenAI shape — `{ "error": { "message", "type", "param",
 * "code" } }` — with a message that names the field at fault. Every failure
 * the server can meet (schema validation, unparsable JSON, wrong content
 * type, oversize body, undecodable media, full queue, draining, timeout)
 * maps to one status and one such body.
 */
import type { FastifyError } from 'fastify';
import { QueueFullError, RequestTimeoutError, UnavailableError } from '../engine-api.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** The request field at fault, as a path: `messages[0].content[1].image_url.url`. */
    readonly param: string | null = null,
    readonly code: string | null = null,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  get type(): string {
    if (this.status === 401) return 'authentication_error';
    if (this.status === 404) return 'not_found_error';
    if (this.status === 429) return 'rate_limit_error';
    if (this.status >= 500) return this.status === 503 ? 'service_unavailable' : this.status === 504 ? 'timeout' : 'server_error';
    return 'invalid_request_error';
  }

  body(): { error: { message: string; type: string; param: string | null; code: string | null } } {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

/** A 400 naming `param`. */
export const badRequest = (param: string | null, message: string, code: string | null = 'invalid_value') => new ApiError(400, message, param, code);

/** JSON-pointer `/messages/0/content` → `messages[0].content`. */
export function paramPath(pointer: string, extra?: string): string | null {
  const parts = pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (extra !== undefined) parts.push(extra);
  if (parts.length === 0) return null;
  return parts.reduce((s, p) => (/^\d+$/.test(p) ? `${s}[${p}]` : s ? `${s}.${p}` : p), '');
}

interface AjvError {
  keyword: string;
  instancePath: string;
  message?: string;
  params: Record<string, unknown>;
  data?: unknown;
}

const describe = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v === 'number' && Number.isInteger(v) ? 'integer' : typeof v);

/** One schema error as an ApiError whose message names the field. */
export function validationError(e: AjvError): ApiError {
  const at = paramPath(e.instancePath);
  const name = at ?? 'the request body';
  switch (e.keyword) {
    case 'additionalProperties': {
      const p = paramPath(e.instancePath, String(e.params.additionalProperty));
      return badRequest(p, `unknown field '${p}'${at ? ` in '${at}'` : ''}: it is not part of this API`, 'unknown_field');
    }
    case 'required': {
      const p = paramPath(e.instancePath, String(e.params.missingProperty));
      return badRequest(p, `missing required field '${p}'`, 'missing_field');
    }
    case 'type':
      if (!at) return badRequest(null, `the request body must be a JSON object, got ${describe(e.data)}`, 'invalid_body');
      return badRequest(at, `'${at}' must be ${String(e.params.type).replace(',', ' or ')}, got ${describe(e.data)}`, 'invalid_type');
    case 'enum':
      return badRequest(at, `'${name}' must be one of ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}, got ${JSON.stringify(e.data)}`);
    case 'const':
      return badRequest(at, `'${name}' must be ${JSON.stringify(e.params.allowedValue)}, got ${JSON.stringify(e.data)}`);
    case 'discriminator': {
      const tag = String(e.params.tag);
      const p = paramPath(e.instancePath, tag);
      const value = (e.data as Record<string, unknown> | undefined)?.[tag];
      return badRequest(p, `'${p}' ${value === undefined ? 'is required' : `has an unsupported value ${JSON.stringify(value)}`}${hintFor(tag)}`);
    }
    default:
      return badRequest(at, `'${name}' ${e.message ?? 'is invalid'}`);
  }
}

function hintFor(tag: string): string {
  if (tag === 'type') return ' (content parts: text, image_url, input_audio, video)';
  if (tag === 'role') return ' (roles: system, developer, user, assistant)';
  return '';
}

/** Any thrown value as an ApiError (the 500 fallback hides nothing useful but the message). */
export function toApiError(err: unknown, o: { bodyLimit?: number; contentType?: string } = {}): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof QueueFullError) return new ApiError(429, err.message, null, 'queue_full', { 'retry-after': String(err.retryAfterSeconds) });
  if (err instanceof UnavailableError) return new ApiError(503, err.message, null, 'unavailable', { 'retry-after': '5' });
  if (err instanceof RequestTimeoutError) return new ApiError(504, err.message, null, 'timeout');
  const f = err as FastifyError & { validation?: AjvError[] };
  if (f.validation && f.validation.length > 0) return validationError(f.validation[0]!);
  switch (f.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return badRequest(null, `the request body is not valid JSON: ${f.message}`, 'invalid_json');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiError(413, `the request body is larger than the server's limit${o.bodyLimit ? ` of ${o.bodyLimit} bytes` : ''} (limits.bodyBytes)`, null, 'request_too_large');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new ApiError(f.statusCode ?? 415, `unsupported Content-Type ${o.contentType ? `'${o.contentType}'` : '(none)'}: send the body as application/json`, null, 'unsupported_media_type');
  }
  if (f instanceof SyntaxError) return badRequest(null, `the request body is not valid JSON: ${f.message}`, 'invalid_json');
  if (typeof f.statusCode === 'number' && f.statusCode >= 400 && f.statusCode < 500) return new ApiError(f.statusCode, f.message, null, f.code ?? null);
  return new ApiError(500, `internal error: ${(err as Error)?.message ?? String(err)}`, null, 'internal_error');
}
