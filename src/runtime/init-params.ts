/**
 * Parameter initialisation: a float32 host tensor for every parameter of a
 * graph, drawn from its ParamInit.
 *
 * Each parameter gets its own random stream, `new Random(seed).fork(path)`,
 * so its values depend only on (seed, parameter path, shape, init): adding,
 * removing or reordering other parameters never changes them.
 */
import type { Graph } from '../graph/graph.js';
import { hostTensor, numel, type HostTensor } from '../graph/host-tensor.js';
import type { ParamInit } from '../graph/param-init.js';
import { Random } from '../graph/random.js';

/** Truncation of `normal` inits, in standard deviations (BERT / GPT-2 use ±2σ). */
export const NORMAL_TRUNCATION = 2;

/** Values for every parameter of `g`, keyed by path; ready for `emitModel(g, { paramValues })`. */
export function initParams(g: Graph, seed: number): Map<string, HostTensor> {
  const root = new Random(seed);
  const out = new Map<string, HostTensor>();
  for (const [path, { value, init }] of g.params) {
    if (value.dtype !== 'float32') {
      throw new Error(`initParams: parameter ${path} is ${value.dtype}; only float32 parameters can be initialised`);
    }
    out.set(path, drawParam(root.fork(path), path, value.shape as number[], init));
  }
  return out;
}

/** One parameter's values, for `shape` and `init`, from the stream of (seed, path). */
export function initParam(path: string, shape: readonly number[], init: ParamInit, seed: number): HostTensor<'float32'> {
  return drawParam(new Random(seed).fork(path), path, shape, init);
}

function drawParam(rng: Random, path: string, shape: readonly number[], init: ParamInit): HostTensor<'float32'> {
  const data = new Float32Array(numel(shape));
  switch (init.kind) {
    case 'zeros':
      break;
    case 'ones':
      data.fill(1);
      break;
    case 'constant':
      if (!Number.isFinite(init.value)) throw new Error(`parameter ${path}: constant init value must be finite, got ${init.value}`);
      data.fill(init.value);
      break;
    case 'normal': {
      requireScale(path, 'normal init std', init.std);
      for (let i = 0; i < data.length; i++) data[i] = truncatedNormal(rng) * init.std;
      break;
    }
    case 'uniform': {
      requireScale(path, 'uniform init bound', init.bound);
      for (let i = 0; i < data.length; i++) data[i] = (2 * rng.nextFloat() - 1) * init.bound;
      break;
    }
    default:
      throw new Error(`parameter ${path}: unknown init ${JSON.stringify(init)}`);
  }
  return hostTensor('float32', [...shape], data);
}

/** A standard normal variate conditioned on |z| ≤ NORMAL_TRUNCATION (rejection; accepts 95.4%). */
function truncatedNormal(rng: Random): number {
  for (;;) {
    const z = rng.normal();
    if (Math.abs(z) <= NORMAL_TRUNCATION) return z;
  }
}

function requireScale(path: string, what: string, x: number): void {
  if (!Number.isFinite(x) || x < 0) throw new Error(`parameter ${path}: ${what} must be finite and ≥ 0, got ${x}`);
}
