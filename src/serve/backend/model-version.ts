/**
 * The model version: a hash of the config and every weight (name, dtype,
 * shape, bytes), so a cache entry of one set of weights is never served for
 * another.
 */
import { createHash } from 'node:crypto';
import type { HostTensor } from '../../graph/host-tensor.js';
import type { ModelConfig } from '../../model/config.js';

/** 16 hex digits of sha256(config JSON, then each parameter in name order). */
export function modelVersionOf(cfg: ModelConfig, params: ReadonlyMap<string, HostTensor>): string {
  const h = createHash('sha256');
  h.update(JSON.stringify(cfg));
  for (const name of [...params.keys()].sort()) {
    const t = params.get(name)!;
    h.update(`\n${name}:${t.dtype}:${t.shape.join('x')}\n`);
    const d = t.data as ArrayLike<unknown> & { buffer?: ArrayBufferLike; byteOffset?: number; byteLength?: number };
    if (d.buffer && d.byteLength !== undefined) h.update(new Uint8Array(d.buffer, d.byteOffset ?? 0, d.byteLength));
    else h.update(JSON.stringify(Array.from(d)));
  }
  return h.digest('hex').slice(0, 16);
}
