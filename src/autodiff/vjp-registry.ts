import type { Node } from '../graph/node.js';
import type { Value } from '../graph/value.js';

/**
 * What a VJP rule sees: the forward node and the gradient of the loss with
 * respect to each of its outputs (null where no gradient reaches an output).
 */
export interface VjpContext {
  node: Node;
  inputs: readonly (Value | null)[];
  outputs: readonly Value[];
  outGrads: readonly (Value | null)[];
  attrs: Node['attrs'];
}

/**
 * A vector-Jacobian product: returns the gradient for each input (null for
 * inputs that take none). Emitted as ordinary graph ops.
 */
export type VjpRule = (ctx: VjpContext) => (Value | null)[];

const rules = new Map<string, VjpRule>();

export function defineVjp(opType: string, rule: VjpRule): void {
  if (rules.has(opType)) throw new Error(`VJP for ${opType} defined twice`);
  rules.set(opType, rule);
}

export function getVjp(opType: string): VjpRule | undefined {
  return rules.get(opType);
}

/** The op types that have a VJP rule (for the coverage test). */
export function vjpOpTypes(): string[] {
  return [...rules.keys()];
}
