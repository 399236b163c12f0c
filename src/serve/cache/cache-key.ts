/**
 * Cache keys: sha256 of the model version, the kind of result, the
 * normalised input (the decoded model input: token ids and media tensors,
 * so the same picture sent twice hits however it was encoded in JSON) and
 * the parameters that change the result. A new model version changes every
 * key, so it never gets an old entry.
 */
import { createHash } from 'node:crypto';
import { MODALITIES } from '../../model/modalities.js';
import type { ModelInput } from '../engine-api.js';

export function cacheKey(modelVersion: string, kind: string, input: ModelInput, params: unknown): string {
  const h = createHash('sha256');
  h.update(`${modelVersion}\0${kind}\0${input.signature.join('+')}\0${JSON.stringify(params ?? null)}\0`);
  if (input.textIds) {
    h.update('text\0');
    h.update(new Uint8Array(Int32Array.from(input.textIds).buffer));
  }
  for (const m of MODALITIES) {
    if (m === 'text') continue;
    const x = input[m];
    if (!x) continue;
    h.update(`\0${m}:${x.length}\0`);
    h.update(new Uint8Array(x.buffer, x.byteOffset, x.byteLength));
  }
  return h.digest('hex');
}
