/**
 * Gradient checking: compares the gradients `gradients()` emits, run in ONNX
 * Runtime, against central finite differences of the forward graph.
 *
 * For a case `build(g, xs) → y` the checker forms the scalar loss
 * L = ReduceSum(y ⊙ R) with a fixed random R of y's shape (so every output
 * element matters), emits a forward graph (y) and a gradient graph
 * (dL/dx_i), and compares every gradient element with
 *
 *   dL/dx_j ≈ Σ_k R_k · (y_k(x + h·e_j) − y_k(x − h·e_j)) / ((x_j + h) − (x_j − h))
 *
 * where the differences y(x+h) − y(x−h) are taken element by element in
 * float64 in TypeScript (so the rounding of the forward's own reduction does
 * not enter) and the denominator is the perturbation actually stored in the
 * input's dtype.
 *
 * Precision. float64 is preferred. ONNX Runtime's CPU provider has no float64
 * kernel for some ops (e.g. Erf, so exact Gelu) and some ops do not accept
 * float64 at all (DequantizeLinear's scale). When building the float64
 * sessions fails for that reason the check falls back to float32 and records
 * why. The finite differences then still come from float64 when possible: the
 * float64 forward graph if only the gradient graph lacked a kernel, else a
 * float64 TypeScript reference of the forward if the case gives one, else
 * the float32 forward with a large step. See `TOLERANCES` for the bounds.
 *
 * It lives in runtime/, not autodiff/, because it runs the graphs in ONNX
 * Runtime (layers import one way: autodiff → runtime).
 */
import { emitModel } from '../graph/emit-onnx.js';
import { Graph } from '../graph/graph.js';
import { hostTensor, numel, type HostTensor } from '../graph/host-tensor.js';
import * as op from '../graph/ops/index.js';
import { formatShape, type Dim } from '../graph/shape.js';
import type { Value } from '../graph/value.js';
import { Session } from './session.js';
import { gradients } from '../autodiff/gradients.js';
import { hashSeed, init, mulberry32, randn, type ValueInit } from './gradcheck-values.js';

export { hashSeed, init, mulberry32, randn, type Rng, type ValueInit } from './gradcheck-values.js';

// ---- the checker -----------------------------------------------------------

export type FloatDType = 'float32' | 'float64';

export interface InputSpec {
  shape: number[];
  /** Default: standard normal. */
  init?: ValueInit;
  /** Force this input's dtype (e.g. a float32 input to a Cast); default: the run's dtype. */
  dtype?: FloatDType;
  /** Compare this input's gradient (default true). A null gradient is compared as zeros. */
  check?: boolean;
  /**
   * The graph input's declared shape when it should name dims (e.g.
   * ['batch', 3]) to exercise the dynamic-shape paths of VJP rules; the data
   * still has `shape`. Default: `shape`.
   */
  dims?: Dim[];
}

/** |analytic − numeric| ≤ atol + rtol·|numeric| for every element. */
export interface Tolerance {
  atol: number;
  rtol: number;
}

export interface GradCheckCase {
  /** Names the case in messages (e.g. `Add: broadcast [2,3] + [3]`); also seeds the data. */
  name: string;
  /** Builds the output from the float inputs (non-float operands are made inside as constants). */
  build: (g: Graph, xs: Value[]) => Value;
  inputs: InputSpec[];
  /** 'auto' (default) tries float64 and falls back to float32 when ORT lacks a float64 kernel. */
  dtype?: FloatDType | 'auto';
  /**
   * The forward computed in float64 in TypeScript, from the inputs' values to
   * y's values (row-major). Used for the finite differences when the check
   * has to run in float32 and the float64 forward graph cannot run.
   */
  reference?: (xs: Float64Array[]) => ArrayLike<number>;
  /** Overrides the step of the finite differences. */
  h?: number;
  /** Overrides the tolerance. */
  tol?: Partial<Tolerance>;
  seed?: number;
}

export type FdSource = 'ort-float64' | 'reference-float64' | 'ort-float32';

export interface InputReport {
  index: number;
  shape: number[];
  dtype: FloatDType;
  /** The op produced no gradient (null); compared as zeros. */
  nullGradient: boolean;
  maxAbsGrad: number;
  maxAbsFd: number;
  maxAbsErr: number;
  /** Largest |a − n| / (atol + rtol·|n|); ≤ 1 passes. */
  worstRatio: number;
}

export interface GradCheckResult {
  name: string;
  /** dtype the gradient graph ran in. */
  dtype: FloatDType;
  /** Why float64 was not used (the ORT error), when it fell back. */
  fallbackReason?: string;
  fdSource: FdSource;
  h: number;
  tolerance: Tolerance;
  /** Max |analytic − numeric| over all compared elements. */
  maxAbsErr: number;
  /** Max |analytic − numeric| / max(|numeric|, atol). */
  maxRelErr: number;
  /** Largest |a − n| / (atol + rtol·|n|); ≤ 1 passes. */
  worstRatio: number;
  /** Number of gradient elements compared. */
  checked: number;
  inputs: InputReport[];
  /** Op types of the nodes `build` created. */
  opTypes: string[];
}

/**
 * Tolerances and steps, by where the numbers come from.
 *
 * - `float64`: analytic gradient in float64, differences from a float64
 *   forward with h = 1e-6. Truncation error ~h²·|f'''|/6 ≈ 1e-13; rounding
 *   error ~ε₆₄·Σ|R_k·y_k|/h ≈ 2e-16·10/1e-6 = 2e-9 for our O(1) data and
 *   ≤ 24 outputs. atol 1e-7 + rtol 1e-6 leaves ≥ 50× margin over that, yet
 *   any wrong rule (errors O(0.1)) fails by orders of magnitude.
 * - `float32-analytic`: analytic gradient in float32, differences from a
 *   float64 forward (h = 1e-6). The analytic error is a few float32 roundings
 *   of O(1) intermediates, ~1e-6 absolute after cancellations (Softmax-style
 *   rules subtract O(1) terms); atol 5e-5 + rtol 5e-4 gives ≥ 20× margin.
 * - `float32-fd`: differences from the float32 forward, h = 1e-2 (larger steps
 *   lower rounding, smaller lower truncation). Rounding ≈ √24·ε₃₂·|y|/h ≈
 *   3e-5, truncation ≈ h²·|f'''|/6 ≈ 2e-5 for O(1) third derivatives, so
 *   atol 1e-3 + rtol 1e-2. Inputs must then keep ≥ h from kinks.
 */
export const TOLERANCES = {
  float64: { h: 1e-6, atol: 1e-7, rtol: 1e-6 },
  'float32-analytic': { h: 1e-6, atol: 5e-5, rtol: 5e-4 },
  'float32-fd': { h: 1e-2, atol: 1e-3, rtol: 1e-2 },
} as const;

/** True for ORT session-creation errors that mean "no kernel / type not allowed" (so float32 may work). */
export function isMissingKernelError(e: unknown): boolean {
  const msg = e instanceof Error ? e.message : String(e);
  return /Could not find an implementation/i.test(msg) || /Type \(?'?tensor\(double\)'?\)? of .* is invalid/i.test(msg) || /NOT_IMPLEMENTED/.test(msg);
}

interface Built {
  dtype: FloatDType;
  g: Graph;
  xs: Value[];
  y: Value;
  /** y's shape as ONNX Runtime computed it. */
  yShape: number[];
  opTypes: string[];
}

interface Compiled extends Built {
  forward: Session;
}

function buildCase(c: GradCheckCase, dtype: FloatDType): Omit<Built, 'yShape'> {
  const g = new Graph(`gradcheck_${c.name.replace(/[^A-Za-z0-9_]+/g, '_')}`);
  const xs = c.inputs.map((s, i) => {
    if (s.dims && (s.dims.length !== s.shape.length || s.dims.some((d, k) => typeof d === 'number' && d !== s.shape[k]))) {
      throw new Error(`gradcheck ${c.name}: input ${i} dims ${formatShape(s.dims)} do not match its data shape ${formatShape(s.shape)}`);
    }
    return g.input(`x${i}`, s.dtype ?? dtype, s.dims ?? s.shape);
  });
  const before = g.nodes.length;
  const y = c.build(g, xs);
  const opTypes = [...new Set(g.nodes.slice(before).map((n) => n.opType))];
  if (y.dtype !== 'float32' && y.dtype !== 'float64') throw new Error(`gradcheck ${c.name}: output must be float32 or float64, got ${y.dtype}`);
  return { dtype, g, xs, y, opTypes };
}

function feedsFor(c: GradCheckCase, xs: readonly Value[], arrays: readonly Float64Array[]): Record<string, HostTensor> {
  const feeds: Record<string, HostTensor> = {};
  xs.forEach((x, i) => (feeds[x.name] = hostTensor(x.dtype, c.inputs[i]!.shape, feedArray(arrays[i]!, x.dtype as FloatDType))));
  return feeds;
}

/** Emits and loads the forward graph, runs it once to learn y's shape and checks that against shape inference. */
async function compileForward(c: GradCheckCase, dtype: FloatDType, values: readonly Float64Array[], sessions: Session[]): Promise<Compiled> {
  const b = buildCase(c, dtype);
  const forward = await Session.create(emitModel(b.g, { outputs: [{ name: 'y', value: b.y }] }), { threads: 1 });
  sessions.push(forward);
  const yShape = (await forward.run(feedsFor(c, b.xs, values))).y!.shape;
  if (yShape.length !== b.y.rank || b.y.shape.some((d, k) => typeof d === 'number' && d !== yShape[k])) {
    throw new Error(`gradcheck ${c.name}: shape inference gave ${formatShape(b.y.shape)} but ONNX Runtime computed ${formatShape(yShape)}`);
  }
  return { ...b, yShape, forward };
}

interface GradGraph {
  session: Session | null;
  /** Output name of each input's gradient, or null when `gradients` returned null. */
  names: (string | null)[];
}

async function compileGradient(c: GradCheckCase, b: Built, r: Float64Array, sessions: Session[]): Promise<GradGraph> {
  const { g, xs, y } = b;
  const rData = y.dtype === 'float64' ? Float64Array.from(r) : Float32Array.from(r);
  const rConst = g.constant(hostTensor(y.dtype, b.yShape, rData), 'gradcheck_R');
  const loss = op.reduceSum(op.mul(y, rConst)); // [] Σ y⊙R
  const grads = gradients(loss, xs);
  const names = grads.map((gr, i) => (gr ? `grad${i}` : null));
  grads.forEach((gr, i) => {
    if (!gr) return;
    const x = xs[i]!;
    if (gr.dtype !== x.dtype || gr.rank !== x.rank || gr.shape.some((d, k) => typeof d === 'number' && typeof x.shape[k] === 'number' && d !== x.shape[k])) {
      throw new Error(`gradcheck ${c.name}: gradient of input ${i} is ${gr.dtype}${formatShape(gr.shape)} but the input is ${x.dtype}${formatShape(x.shape)}`);
    }
  });
  const outputs = grads.flatMap((gr, i) => (gr ? [{ name: `grad${i}`, value: gr }] : []));
  if (!outputs.length) return { session: null, names };
  const session = await Session.create(emitModel(g, { outputs }), { threads: 1 });
  sessions.push(session);
  return { session, names };
}

function feedArray(values: Float64Array, dtype: FloatDType): Float64Array | Float32Array {
  return dtype === 'float64' ? Float64Array.from(values) : Float32Array.from(values);
}

function unravel(j: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = j % shape[d]!;
    j = Math.floor(j / shape[d]!);
  }
  return idx;
}

function firstLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split('\n')[0]!.slice(0, 300);
}

/**
 * Checks the gradients of `c.build` against central finite differences.
 * Throws a descriptive error (case, dtype, input, element index, both values)
 * on any mismatch; returns the error statistics otherwise.
 */
export async function gradcheck(c: GradCheckCase): Promise<GradCheckResult> {
  const rng = mulberry32(c.seed ?? hashSeed(c.name));
  const want = c.dtype ?? 'auto';
  const base = c.inputs.map((s) => {
    const n = numel(s.shape);
    const v = Float64Array.from((s.init ?? init.normal())(rng, n));
    if (v.length !== n) throw new Error(`gradcheck ${c.name}: init gave ${v.length} values for shape ${formatShape(s.shape)}`);
    return v;
  });

  const sessions: Session[] = [];
  try {
    // Analytic gradients, in float64 when ORT can run both graphs in float64.
    let fallbackReason: string | undefined;
    let f64: Compiled | undefined;
    let run: { built: Compiled; grad: GradGraph; r: Float64Array } | undefined;
    const makeR = (shape: number[]) => {
      const rr = mulberry32((c.seed ?? hashSeed(c.name)) ^ 0x5bd1e995);
      return Float64Array.from({ length: numel(shape) }, () => randn(rr));
    };
    const wrap = (dtype: FloatDType, e: unknown) => new Error(`gradcheck ${c.name} (${dtype}): ${(e as Error).message}`);
    if (want !== 'float32') {
      try {
        f64 = await compileForward(c, 'float64', base, sessions);
        const r = makeR(f64.yShape);
        run = { built: f64, grad: await compileGradient(c, f64, r, sessions), r };
      } catch (e) {
        if (want === 'float64' || !isMissingKernelError(e)) throw wrap('float64', e);
        fallbackReason = firstLine(e);
      }
    } else {
      // float32 asked for: a float64 forward, if ORT has one, still gives the most accurate differences.
      try {
        f64 = await compileForward(c, 'float64', base, sessions);
      } catch (e) {
        if (!isMissingKernelError(e)) throw wrap('float64', e);
      }
    }
    if (!run) {
      try {
        const f32 = await compileForward(c, 'float32', base, sessions);
        const r = makeR(f32.yShape);
        run = { built: f32, grad: await compileGradient(c, f32, r, sessions), r };
      } catch (e) {
        throw wrap('float32', e);
      }
    }
    const { built, grad, r } = run;
    const dtype = built.dtype;
    const inDTypes = built.xs.map((x) => x.dtype as FloatDType);
    // Data as the analytic run sees it (float32 inputs rounded), also used by every FD source.
    const values = base.map((v, i) => Float64Array.from(feedArray(v, inDTypes[i]!)));
    const rVals = built.y.dtype === 'float32' ? Float64Array.from(Float32Array.from(r)) : r;

    const analyticOut = grad.session ? await grad.session.run(feedsFor(c, built.xs, values)) : {};
    const analytic = grad.names.map((name, i) => {
      if (!name) return new Float64Array(values[i]!.length);
      const t = analyticOut[name]!;
      if (t.shape.join() !== c.inputs[i]!.shape.join()) {
        throw new Error(`gradcheck ${c.name}: ONNX Runtime computed a gradient of shape ${formatShape(t.shape)} for input ${i} of shape ${formatShape(c.inputs[i]!.shape)}`);
      }
      return Float64Array.from(t.data as ArrayLike<number>);
    });

    // The finite-difference source: float64 whenever possible.
    let fdSource: FdSource;
    let evaluate: (xs: (Float64Array | Float32Array)[]) => Promise<Float64Array>;
    let fdArrays: (Float64Array | Float32Array)[];
    let fdExact: boolean;
    const ortEval = (cmp: Compiled) => async (xs: (Float64Array | Float32Array)[]) => {
      const f: Record<string, HostTensor> = {};
      cmp.xs.forEach((x, i) => (f[x.name] = hostTensor(x.dtype, c.inputs[i]!.shape, xs[i]!)));
      const out = await cmp.forward.run(f);
      return Float64Array.from(out.y!.data as ArrayLike<number>);
    };
    const fdDTypes = (cmp: Compiled) => cmp.xs.map((x) => x.dtype as FloatDType);
    if (dtype === 'float64') {
      fdSource = 'ort-float64';
      evaluate = ortEval(built);
      fdArrays = values.map((v, i) => feedArray(v, inDTypes[i]!));
      fdExact = inDTypes.every((d) => d === 'float64') && built.y.dtype === 'float64';
    } else if (f64) {
      fdSource = 'ort-float64';
      evaluate = ortEval(f64);
      fdArrays = values.map((v, i) => feedArray(v, fdDTypes(f64!)[i]!));
      fdExact = fdDTypes(f64).every((d) => d === 'float64') && f64.y.dtype === 'float64';
    } else if (c.reference) {
      fdSource = 'reference-float64';
      const ref = c.reference;
      evaluate = async (xs) => Float64Array.from(ref(xs.map((x) => Float64Array.from(x))));
      fdArrays = values.map((v) => Float64Array.from(v));
      fdExact = true;
    } else {
      fdSource = 'ort-float32';
      evaluate = ortEval(built);
      fdArrays = values.map((v, i) => feedArray(v, inDTypes[i]!));
      fdExact = false;
    }
    const analyticF64 = dtype === 'float64' && inDTypes.every((d) => d === 'float64') && built.y.dtype === 'float64';
    const tier = !fdExact ? TOLERANCES['float32-fd'] : analyticF64 ? TOLERANCES.float64 : TOLERANCES['float32-analytic'];
    const h = c.h ?? tier.h;
    const tolerance: Tolerance = { atol: c.tol?.atol ?? tier.atol, rtol: c.tol?.rtol ?? tier.rtol };

    // The float64 source must compute the same function as the graph that was differentiated.
    if (dtype === 'float32' && fdSource !== 'ort-float32') {
      const yRun = await ortEval(built)(values.map((v, i) => feedArray(v, inDTypes[i]!)));
      const ySrc = await evaluate(fdArrays);
      const fwdTol = 1e-5; // float32 rounding of O(1) values, with margin
      for (let k = 0; k < yRun.length; k++) {
        if (!(Math.abs(yRun[k]! - ySrc[k]!) <= fwdTol * (1 + Math.abs(ySrc[k]!)))) {
          throw new Error(
            `gradcheck ${c.name}: the ${fdSource} forward disagrees with the ${dtype} graph at output element [${unravel(k, built.yShape).join(', ')}]: ${ySrc[k]} vs ${yRun[k]}`,
          );
        }
      }
    }

    const reports: InputReport[] = [];
    const failures: string[] = [];
    let maxAbsErr = 0;
    let maxRelErr = 0;
    let worstRatio = 0;
    let checked = 0;
    for (let i = 0; i < c.inputs.length; i++) {
      const spec = c.inputs[i]!;
      if (spec.check === false) continue;
      const x = fdArrays[i]!;
      const a = analytic[i]!;
      const rep: InputReport = {
        index: i,
        shape: spec.shape,
        dtype: inDTypes[i]!,
        nullGradient: grad.names[i] === null,
        maxAbsGrad: 0,
        maxAbsFd: 0,
        maxAbsErr: 0,
        worstRatio: 0,
      };
      for (let j = 0; j < x.length; j++) {
        const x0 = x[j]!;
        x[j] = x0 + h;
        const xp = x[j]!;
        const yp = await evaluate(fdArrays);
        x[j] = x0 - h;
        const xm = x[j]!;
        const ym = await evaluate(fdArrays);
        x[j] = x0;
        let s = 0;
        for (let k = 0; k < yp.length; k++) s += rVals[k]! * (yp[k]! - ym[k]!);
        const n = s / (xp - xm);
        const an = a[j]!;
        const err = Math.abs(an - n);
        const bound = tolerance.atol + tolerance.rtol * Math.abs(n);
        const ratio = err / bound;
        checked++;
        rep.maxAbsGrad = Math.max(rep.maxAbsGrad, Math.abs(an));
        rep.maxAbsFd = Math.max(rep.maxAbsFd, Math.abs(n));
        rep.maxAbsErr = Math.max(rep.maxAbsErr, err);
        rep.worstRatio = Math.max(rep.worstRatio, ratio);
        maxAbsErr = Math.max(maxAbsErr, err);
        maxRelErr = Math.max(maxRelErr, err / Math.max(Math.abs(n), tolerance.atol));
        worstRatio = Math.max(worstRatio, ratio);
        if (!(err <= bound)) {
          failures.push(
            `input ${i} ${inDTypes[i]}${formatShape(spec.shape)} element [${unravel(j, spec.shape).join(', ')}] (x = ${x0}): ` +
              `analytic ${an}${rep.nullGradient ? ' (no gradient)' : ''} vs finite difference ${n}, |diff| ${err.toExponential(3)} > ${bound.toExponential(3)}`,
          );
        }
      }
      reports.push(rep);
    }
    if (failures.length) {
      const ops = built.opTypes.join(', ');
      const shown = failures.slice(0, 8).join('\n  ');
      const more = failures.length > 8 ? `\n  … and ${failures.length - 8} more` : '';
      throw new Error(
        `gradcheck ${c.name} [ops ${ops}] (${dtype}, fd from ${fdSource}, h ${h}, atol ${tolerance.atol}, rtol ${tolerance.rtol}): ` +
          `${failures.length} of ${checked} gradient elements mismatch:\n  ${shown}${more}`,
      );
    }
    return {
      name: c.name,
      dtype,
      fallbackReason,
      fdSource,
      h,
      tolerance,
      maxAbsErr,
      maxRelErr,
      worstRatio,
      checked,
      inputs: reports,
      opTypes: built.opTypes,
    };
  } finally {
    for (const s of sessions) await s.release();
  }
}
