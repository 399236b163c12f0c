/**
 * Sticky assignment of requests to variants: the user id (the OpenAI `user`
 * field, else the `X-User-Id` header) is hashed with the experiment's name
 * to a point u in [0, 1), and the variants own consecutive slices of [0, 1)
 * in proportion to their weights. The same user always gets the same
 * variant; over many users the shares match the weights. A request without
 * a user id is assigned by its request id (random, not sticky).
 */
import { createHash } from 'node:crypto';
import type { ExperimentConfig, ExperimentVariant } from './experiments-file.js';

/** Header carrying the user id when the body has no `user` field. */
export const USER_HEADER = 'x-user-id';

/** A uniform point in [0, 1) from sha256(experiment, key): 53 bits of the digest. */
export function hashUnit(experiment: string, key: string): number {
  const d = createHash('sha256').update(experiment).update('\0').update(key).digest();
  const hi = d.readUInt32BE(0) >>> 5; // 27 bits
  const lo = d.readUInt32BE(4) >>> 6; // 26 bits
  return (hi * 2 ** 26 + lo) / 2 ** 53;
}

/** The variant whose weight slice holds `u` ∈ [0, 1). */
export function variantAt(variants: readonly ExperimentVariant[], u: number): ExperimentVariant {
  const total = variants.reduce((s, v) => s + v.weight, 0);
  let acc = 0;
  for (const v of variants) {
    acc += v.weight / total;
    if (u < acc) return v;
  }
  return variants[variants.length - 1]!; // u within rounding of 1
}

/** The user key of a request: the body's `user`, else the X-User-Id header (case-insensitive; first value of a list). */
export function userKeyOf(body: { user?: unknown } | undefined, headers: Record<string, string | string[] | undefined> = {}): string | undefined {
  if (typeof body?.user === 'string' && body.user !== '') return body.user;
  const h = Object.entries(headers).find(([k]) => k.toLowerCase() === USER_HEADER)?.[1];
  const v = Array.isArray(h) ? h[0] : h;
  return v ? v : undefined;
}

export interface Assignment {
  variant: ExperimentVariant;
  /** True when a user id decided it (the same user gets it again). */
  sticky: boolean;
}

/** Assigns a request: by user id when there is one, else by its request id. */
export function assignVariant(exp: ExperimentConfig, userKey: string | undefined, requestId: string): Assignment {
  const sticky = userKey !== undefined;
  return { variant: variantAt(exp.variants, hashUnit(exp.name, sticky ? `user:${userKey}` : `request:${requestId}`)), sticky };
}
