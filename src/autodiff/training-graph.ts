/**
 * A training graph: forward + backward + optimizer update in one ONNX graph.
 * Parameters and optimizer state go in; the loss, the updated parameters and
 * the updated state come out. Per-parameter optimizer scalars (learning
 * rate, bias corrections) are one [P, S] input computed on the host each
 * step, so schedules and per-parameter step counts live in TypeScript.
 */
import { emitModel } from '../graph/emit-onnx.js';
import type { Graph } from '../graph/graph.js';
import * as op from '../graph/ops/index.js';
import { formatShape } from '../graph/shape.js';
import type { Value } from '../graph/value.js';
import { gradients } from './gradients.js';
import { optimizerSlots, scalarNames, updateParam, type OptimizerConfig } from './optimizers.js';

export interface TrainingGraphOptions {
  optimizer: OptimizerConfig;
  /** Clip gradients to this global L2 norm (Pascanu et al. 2013); off when omitted. */
  clipGradNorm?: number;
  /** Parameter paths (or a predicate) left untouched: no gradient, no state, not an output. */
  frozen?: readonly string[] | ((path: string) => boolean);
  /**
   * Update masks: parameter path → bool value broadcastable to the parameter's
   * shape (a graph input, or computed in the graph). Where false, the
   * parameter and its optimizer state come out bit-identical to what went in.
   */
  updateMasks?: ReadonlyMap<string, Value>;
  /** Extra scalar or tensor outputs to fetch each step (metrics). */
  metrics?: Record<string, Value>;
  /**
   * Parameters the loss does not depend on: 'zero-gradient' (default) updates
   * them with a zero gradient (AdamW still decays them); 'skip' leaves them out
   * of the step like frozen ones, as PyTorch does for parameters whose grad is None.
   */
  unusedParams?: 'zero-gradient' | 'skip';
}

/** Where each piece lives in the emitted graph's inputs and outputs. */
export interface TrainingGraphSignature {
  /** Trainable parameter paths, in order. */
  trainable: string[];
  /** Frozen parameter paths (fed, never updated). */
  frozen: string[];
  /** Optimizer state slots per parameter, e.g. ['m', 'v']. */
  slots: string[];
  /** Input name of each parameter (trainable and frozen), by path. */
  paramInput: Record<string, string>;
  /** Output name of each updated trainable parameter, by path. */
  paramOutput: Record<string, string>;
  /** Input/output names of optimizer state: stateInput[path][slot]. */
  stateInput: Record<string, Record<string, string>>;
  stateOutput: Record<string, Record<string, string>>;
  /** Shape of each parameter, by path. */
  paramShape: Record<string, number[]>;
  /** Output names of the loss, the pre-clip gradient norm and the metrics. */
  loss: string;
  gradNorm: string;
  metrics: Record<string, string>;
  /** Input of per-parameter optimizer scalars, float32 [trainable.length, scalarNames.length], rows in `trainable` order. */
  scalars: string;
  scalarNames: string[];
  /** For masked parameters: output name of a bool [] that is true when the step updated the parameter. */
  updateFlags: Record<string, string>;
}

export interface TrainingGraph {
  model: Uint8Array;
  signature: TrainingGraphSignature;
  optimizer: OptimizerConfig;
}

/** Builds the training graph for scalar `loss` over the parameters of its graph. */
export function buildTrainingGraph(g: Graph, loss: Value, o: TrainingGraphOptions): TrainingGraph {
  if (loss.rank !== 0) throw new Error(`training loss must be a scalar, got ${formatShape(loss.shape)}`);
  const isFrozen = typeof o.frozen === 'function' ? o.frozen : (p: string) => (o.frozen as readonly string[] | undefined)?.includes(p) ?? false;
  const paths = [...g.params.keys()];
  for (const p of o.updateMasks?.keys() ?? []) if (!g.params.has(p)) throw new Error(`update mask for unknown parameter ${p}`);
  const candidates = paths.filter((p) => !isFrozen(p));
  const allGrads = g.withScope('backward', () => gradients(loss, candidates.map((p) => g.params.get(p)!.value)));
  const skip = (i: number) => o.unusedParams === 'skip' && allGrads[i] === null;
  const trainable = candidates.filter((_, i) => !skip(i));
  const grads = allGrads.filter((_, i) => !skip(i));
  const frozen = paths.filter((p) => !trainable.includes(p));
  const params = trainable.map((p) => g.params.get(p)!.value);

  const names = scalarNames(o.optimizer);
  const scalars = g.input('optim.scalars', 'float32', [trainable.length, names.length]);

  const { norm, squares, clipScale } = g.withScope('clip', () => globalNorm(grads, o.clipGradNorm));
  const slots = optimizerSlots(o.optimizer);
  const sig: TrainingGraphSignature = {
    trainable,
    frozen,
    slots,
    paramInput: Object.fromEntries(paths.map((p) => [p, g.params.get(p)!.value.name])),
    paramOutput: {},
    stateInput: {},
    stateOutput: {},
    paramShape: Object.fromEntries(paths.map((p) => [p, g.params.get(p)!.value.shape as number[]])),
    loss: loss.name,
    gradNorm: norm.name,
    metrics: {},
    scalars: scalars.name,
    scalarNames: names,
    updateFlags: {},
  };
  const outputs: { name: string; value: Value }[] = [
    { name: loss.name, value: loss },
    { name: norm.name, value: norm },
  ];
  g.withScope('optimizer', () => {
    trainable.forEach((path, i) => {
      const p = params[i]!;
      const state = Object.fromEntries(slots.map((s) => [s, g.input(`optim.${s}:${path}`, p.dtype, p.shape)]));
      const zero = g.scalar(0, p.dtype); // an unused parameter gets a zero gradient
      const upd = g.withScope(path, () => {
        const row = op.gather(scalars, g.scalar(i, 'int64')); // [S]
        const s = Object.fromEntries(names.map((n, j) => [n, op.gather(row, g.scalar(j, 'int64'))])); // [] each
        return updateParam(o.optimizer, s, p, { grad: grads[i] ?? zero, squared: squares[i] ?? zero, clipScale }, state);
      });
      const mask = o.updateMasks?.get(path);
      if (mask) {
        // [] true when any element was updated (counts the step for this parameter's bias correction)
        const flag = mask.rank === 0 ? op.identity(mask) : op.cast(op.reduceMax(op.cast(mask, 'int32')), 'bool');
        sig.updateFlags[path] = flag.name;
        outputs.push({ name: flag.name, value: flag });
      }
      const keep = (next: Value, prev: Value) => (mask ? op.where(mask, next, prev) : next); // masked: bit-identical
      const newParam = keep(upd.param, p);
      sig.paramOutput[path] = newParam.name;
      outputs.push({ name: newParam.name, value: newParam });
      sig.stateInput[path] = {};
      sig.stateOutput[path] = {};
      for (const s of slots) {
        const next = keep(upd.state[s]!, state[s]!);
        sig.stateInput[path]![s] = state[s]!.name;
        sig.stateOutput[path]![s] = next.name;
        outputs.push({ name: next.name, value: next });
      }
    });
  });
  for (const [k, v] of Object.entries(o.metrics ?? {})) {
    sig.metrics[k] = v.name;
    if (!outputs.some((x) => x.value === v)) outputs.push({ name: v.name, value: v });
  }
  return { model: emitModel(g, { outputs }), signature: sig, optimizer: o.optimizer };
}

/**
 * The global L2 norm of all gradients, each gradient's square (which AdamW
 * reuses) and, when clipping, the coefficient min(1, maxNorm / (‖g‖ + 1e-6))
 * the update applies (Pascanu et al. 2013).
 */
function globalNorm(grads: (Value | null)[], maxNorm: number | undefined): { norm: Value; squares: (Value | null)[]; clipScale?: Value } {
  const present = grads.filter((x): x is Value => x !== null);
  if (present.length === 0) throw new Error('the loss depends on no trainable parameter');
  const g = present[0]!.graph;
  const squares = grads.map((x) => (x ? op.mul(x, x) : null)); // [P] per parameter
  const norm = op.sqrt(squares.filter((x): x is Value => x !== null).map((x) => op.reduceSum(x)).reduce((a, b) => op.add(a, b))); // [] ‖g‖₂
  if (maxNorm === undefined) return { norm, squares };
  return { norm, squares, clipScale: op.minimum(op.div(g.scalar(maxNorm), op.add(norm, 1e-6)), 1) }; // [] clip coefficient
}
