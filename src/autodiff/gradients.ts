/**
 * Reverse-mode differentiation over a traced graph: walks the nodes between
 * the loss and the requested values backwards, calling each op's VJP rule
 * and summing the gradients of values used more than once.
 */
import { isDifferentiableDType } from '../graph/dtype.js';
import type { Node } from '../graph/node.js';
import { getOpSchema, isDifferentiableInput } from '../graph/op-schema.js';
import * as op from '../graph/ops/index.js';
import { formatShape } from '../graph/shape.js';
import type { Value } from '../graph/value.js';
import { getVjp } from './vjp-registry.js';
import './rules/index.js';

export interface GradientOptions {
  /** Gradient of the final output (default: 1 for a scalar loss). */
  seed?: Value;
}

/**
 * d loss / d wrt[i] for each i, as graph values. A value the loss does not
 * depend on gets null (the caller decides whether that means zeros).
 */
export function gradients(loss: Value, wrt: readonly Value[], o: GradientOptions = {}): (Value | null)[] {
  const g = loss.graph;
  if (!isDifferentiableDType(loss.dtype)) throw new Error(`cannot differentiate ${loss.name}: dtype ${loss.dtype} carries no gradient`);
  if (!o.seed && loss.rank !== 0) throw new Error(`loss ${loss.name} must be a scalar, got shape ${formatShape(loss.shape)}; pass a seed`);
  const seed = o.seed ?? g.scalar(1, loss.dtype);

  const relevant = nodesBetween(wrt, loss);
  const contributions = new Map<Value, Value[]>();
  const addGrad = (v: Value, grad: Value) => {
    const list = contributions.get(v);
    if (list) list.push(grad);
    else contributions.set(v, [grad]);
  };
  const total = (v: Value): Value | null => {
    const list = contributions.get(v);
    if (!list || list.length === 0) return null;
    const sum = list.reduce((a, b) => op.add(a, b));
    contributions.set(v, [sum]);
    return sum;
  };
  addGrad(loss, seed);

  for (let i = relevant.length - 1; i >= 0; i--) {
    const node = relevant[i]!;
    const outGrads = node.outputs.map(total);
    if (outGrads.every((x) => x === null)) continue;
    const schema = getOpSchema(node.opType);
    if (schema.differentiableInputs !== 'all' && schema.differentiableInputs.length === 0) continue; // e.g. random noise, shapes
    const rule = getVjp(node.opType);
    if (!rule) throw new Error(`no VJP rule for ${node.opType} (node ${node.name})`);
    const inGrads = g.withScope(`grad/${node.scope}`, () =>
      rule({ node, inputs: node.inputs, outputs: node.outputs, outGrads, attrs: node.attrs }),
    );
    node.inputs.forEach((x, k) => {
      const gx = inGrads[k];
      if (!x || !gx || !isDifferentiableInput(schema, k) || !isDifferentiableDType(x.dtype)) return;
      if (gx.dtype !== x.dtype) throw new Error(`VJP of ${node.opType} gave ${gx.dtype} gradient for ${x.dtype} input ${k}`);
      addGrad(x, gx);
    });
  }
  return wrt.map(total);
}

/** Nodes that depend on some `from` value and that `to` depends on, in topological order. */
function nodesBetween(from: readonly Value[], to: Value): Node[] {
  const ancestors = new Set<Node>();
  const stack: Node[] = to.producer ? [to.producer] : [];
  while (stack.length) {
    const n = stack.pop()!;
    if (ancestors.has(n)) continue;
    ancestors.add(n);
    for (const x of n.inputs) if (x?.producer) stack.push(x.producer);
  }
  const sorted = [...ancestors].sort((a, b) => a.id - b.id);
  const live = new Set<Value>(from);
  const result: Node[] = [];
  for (const n of sorted) {
    if (n.inputs.some((x) => x && live.has(x))) {
      result.push(n);
      for (const o of n.outputs) live.add(o);
    }
  }
  return result;
}
