/**
 * Reference side of the engine benchmark: one full MLP training step
 * (Linear -> ReLU -> Linear, biases, MSE loss, Adam lr 1e-3) on
 * TensorFlow.js with its WebAssembly backend (XNNPACK kernels).
 *
 * Backend selection (MIXMODAL_TFJS_WASM_VARIANT, default "auto"):
 *
 *   threaded-simd  tfjs-backend-wasm-threaded-simd.wasm with N XNNPACK threads.
 *                  Stock tfjs 4.22 never uses this build in Node:
 *                  WASM_HAS_MULTITHREAD_SUPPORT is hard-coded to false when
 *                  IS_NODE, and forcing the flag fails with ERR_WORKER_PATH
 *                  because the pthread worker is spawned from a `blob:` URL,
 *                  which node:worker_threads cannot load. We make it work with
 *                  a small shim that is active only while the backend
 *                  initialises (see `initThreadedSimd`). It is first tried in
 *                  a child process: a failed pthread worker throws from an
 *                  event handler and would take this process down.
 *   simd           tfjs-backend-wasm-simd.wasm, single thread (the stock Node
 *                  configuration).
 *   plain          tfjs-backend-wasm.wasm (no SIMD, single thread).
 *   cpu            @tensorflow/tfjs-backend-cpu (plain JS), last resort.
 *
 * "auto" tries threaded-simd (only if more than 1 thread is available), then
 * simd, then plain, then cpu. MIXMODAL_TFJS_THREADS overrides the thread count
 * (default: os.availableParallelism()).
 *
 * The backend is set up once per process; what actually ran is read back from
 * the backend (tf.getBackend(), getThreadsCount(), WASM_HAS_SIMD_SUPPORT) and
 * reported by `getTfjsEngineInfo()`.
 *
 * MIXMODAL_TFJS_LINEAR_GRAD (default "autodiff") picks how the Linear layers
 * are differentiated; see `linearGradMode()`. The default is stock TF.js.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfwasm from '@tensorflow/tfjs-backend-wasm';

export type TfjsWasmVariant = 'threaded-simd' | 'simd' | 'plain' | 'cpu';

export interface TfjsEngineInfo {
  /** tf.getBackend(): 'wasm' or 'cpu'. */
  backend: string;
  /** Which binary / backend actually runs. */
  variant: TfjsWasmVariant;
  /** XNNPACK threadpool size reported by the wasm module (1 for cpu). */
  threads: number;
  /** True when a SIMD wasm binary runs. */
  simd: boolean;
  /** tf.env().getAsync('WASM_HAS_SIMD_SUPPORT') as detected by tfjs. */
  simdFlag: boolean;
  /** tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT') as detected by tfjs (before any override). */
  multithreadFlag: boolean;
  /** Why variants ahead of the one that ran were not used. */
  notes: string[];
}

const requireHere = createRequire(import.meta.url);
const WASM_DIST_DIR =
  path.join(path.dirname(requireHere.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep;
const THIS_FILE = fileURLToPath(import.meta.url);

// tfjs-core's Node bundle (tf-core.node.js) ships no gradient registrations;
// they are only published as bundler-style ESM (extensionless / directory
// imports) in dist/register_all_gradients.js, which the full @tensorflow/tfjs
// bundle normally inlines. Under tsx, require() transpiles that ESM to CJS and
// resolves it like CJS. The copy of tfjs-core it pulls in registers into the
// same global engine and gradient registry.
try {
  requireHere('@tensorflow/tfjs-core/dist/register_all_gradients.js');
} catch (e) {
  throw new Error(
    'bench/engine-tfjs.ts: could not load the tfjs-core gradient registrations ' +
      '(@tensorflow/tfjs-core/dist/register_all_gradients.js is bundler-style ESM; run this module with tsx): ' +
      errMsg(e),
  );
}
const PROBE_TIMEOUT_MS = 60_000;
const MAX_WASM_THREADS = 8; // PTHREAD_POOL_SIZE of the tfjs wasm build, and its threadpool cap.

let enginePromise: Promise<TfjsEngineInfo> | null = null;

/** Initialises the TF.js backend once per process and reports what runs. */
export function getTfjsEngineInfo(): Promise<TfjsEngineInfo> {
  enginePromise ??= setUpEngine();
  return enginePromise;
}

export async function benchTfjsMlpStep(opts: {
  batch: number;
  dims: [number, number, number];
  warmup: number;
  iters: number;
  /** How the Linear layers are differentiated (default: MIXMODAL_TFJS_LINEAR_GRAD, else 'autodiff'). */
  linearGrad?: TfjsLinearGradMode;
}): Promise<{ medianMs: number; timesMs: number[]; backend: string; threads: number; simd: boolean }> {
  const { batch, dims, warmup, iters } = opts;
  const [dIn, dHidden, dOut] = dims;
  for (const [name, v] of [['batch', batch], ['dims[0]', dIn], ['dims[1]', dHidden], ['dims[2]', dOut]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`benchTfjsMlpStep: ${name} must be a positive integer, got ${v}`);
  }
  if (!Number.isInteger(warmup) || warmup < 0) throw new Error(`benchTfjsMlpStep: warmup must be >= 0, got ${warmup}`);
  if (!Number.isInteger(iters) || iters < 1) throw new Error(`benchTfjsMlpStep: iters must be >= 1, got ${iters}`);

  const gradMode = opts.linearGrad ?? linearGradMode();
  const engine = await getTfjsEngineInfo();

  // Fixed random batch and target; He / Glorot-scaled weights, zero biases.
  // Variables are made inside tidy so their initial-value tensors are freed.
  const x = tf.randomNormal([batch, dIn], 0, 1, 'float32', 1) as tf.Tensor2D;
  const y = tf.randomNormal([batch, dOut], 0, 1, 'float32', 2);
  const w1 = tf.tidy(() => tf.variable(tf.randomNormal([dIn, dHidden], 0, Math.sqrt(2 / dIn), 'float32', 3)));
  const b1 = tf.tidy(() => tf.variable(tf.zeros([dHidden])));
  const w2 = tf.tidy(() => tf.variable(tf.randomNormal([dHidden, dOut], 0, Math.sqrt(2 / (dHidden + dOut)), 'float32', 4)));
  const b2 = tf.tidy(() => tf.variable(tf.zeros([dOut])));
  const optimizer = tf.train.adam(1e-3);

  const lossFn =
    gradMode === 'autodiff'
      ? (): tf.Scalar => {
          // Linear+bias(+ReLU) as fused matmuls, as tf.layers.dense does. The
          // gradient is tfjs-core's own (matMul with transposeA / transposeB).
          const h = tf.fused.matMul({ a: x, b: w1, bias: b1, activation: 'relu' });
          const pred = tf.fused.matMul({ a: h, b: w2, bias: b2 });
          return tf.mean(tf.squaredDifference(pred, y)) as tf.Scalar;
        }
      : (): tf.Scalar => {
          const h = linearTransposedGrad(x, w1, b1, true, false);
          const pred = linearTransposedGrad(h, w2, b2, false, true);
          return tf.mean(tf.squaredDifference(pred, y)) as tf.Scalar;
        };

  const step = async (): Promise<number> => {
    // minimize() runs forward + backward + Adam update under its own tidy;
    // with returnCost=true it hands back only the loss scalar. Downloading the
    // loss makes sure the whole step has finished before the clock stops.
    const cost = optimizer.minimize(lossFn, true);
    if (cost == null) throw new Error('optimizer.minimize returned no cost');
    try {
      return (await cost.data())[0];
    } finally {
      cost.dispose();
    }
  };

  const timesMs: number[] = [];
  try {
    let steadyTensors = -1;
    for (let i = 0; i < warmup + iters; i++) {
      const t0 = performance.now();
      const loss = await step();
      const dt = performance.now() - t0;
      if (!Number.isFinite(loss)) throw new Error(`benchTfjsMlpStep: non-finite loss ${loss} at step ${i}`);
      if (i >= warmup) timesMs.push(dt);
      // Adam creates its moment accumulators on the first step; after that the
      // live tensor count must not move.
      const live = tf.memory().numTensors;
      if (i === 0) steadyTensors = live;
      else if (live !== steadyTensors) {
        throw new Error(`benchTfjsMlpStep: tensor leak, ${live} live tensors at step ${i} vs ${steadyTensors} after step 0`);
      }
    }
  } finally {
    optimizer.dispose();
    tf.dispose([x, y, w1, b1, w2, b2]);
  }

  return {
    medianMs: median(timesMs),
    timesMs,
    backend: engine.backend,
    threads: engine.threads,
    simd: engine.simd,
  };
}

/**
 * MIXMODAL_TFJS_LINEAR_GRAD selects how the two Linear layers are
 * differentiated:
 *
 *   autodiff (default)  tfjs-core's registered gradients. In
 *                       tfjs-backend-wasm 4.22 a BatchMatMul with transposeA
 *                       or transposeB does not go to XNNPACK: it runs a naive
 *                       blocked triple loop (slow_batch_matmul), single
 *                       threaded. Backward needs three such products here
 *                       (dH = dY W2^T, dW2 = H^T dY, dW1 = X^T dH), and they
 *                       account for nearly all of the step time.
 *   transpose           same math, but the gradient transposes operands
 *                       explicitly (Transpose kernel) so every product is a
 *                       plain A x B that runs on XNNPACK. This is not stock
 *                       TF.js behaviour; it shows how fast TF.js could be.
 */
export type TfjsLinearGradMode = 'autodiff' | 'transpose';

export function linearGradMode(): TfjsLinearGradMode {
  const v = process.env.MIXMODAL_TFJS_LINEAR_GRAD ?? 'autodiff';
  if (v !== 'autodiff' && v !== 'transpose') {
    throw new Error(`MIXMODAL_TFJS_LINEAR_GRAD must be autodiff|transpose, got ${v}`);
  }
  return v;
}

/**
 * y = a @ w + b (then ReLU if `relu`), with a custom gradient that only issues
 * untransposed matmuls. dA is produced only when `gradA` (the first layer's
 * input is data, so its gradient is never needed). Exported for tests.
 */
export function linearTransposedGrad(a: tf.Tensor2D, w: tf.Variable, b: tf.Variable, relu: boolean, gradA: boolean): tf.Tensor2D {
  const activation = relu ? 'relu' : 'linear';
  const maskedDy = (dy: tf.Tensor, out: tf.Tensor): tf.Tensor2D => (relu ? tf.mul(dy, tf.step(out)) : dy) as tf.Tensor2D;
  type Args = Array<tf.Tensor | tf.GradSaveFunc>;
  if (gradA) {
    return tf.customGrad<tf.Tensor2D>((...args: Args) => {
      const [aIn, wIn, bIn, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, tf.GradSaveFunc];
      const out = tf.fused.matMul({ a: aIn, b: wIn, bias: bIn, activation }) as tf.Tensor2D;
      save([aIn, wIn, out]);
      return {
        value: out,
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const [aS, wS, outS] = saved as tf.Tensor2D[];
          const g = maskedDy(dy, outS);
          return [tf.matMul(g, tf.transpose(wS)), tf.matMul(tf.transpose(aS), g), tf.sum(g, 0)];
        },
      };
    })(a, w, b);
  }
  return tf.customGrad<tf.Tensor2D>((...args: Args) => {
    const [wIn, bIn, save] = args as [tf.Tensor2D, tf.Tensor1D, tf.GradSaveFunc];
    const out = tf.fused.matMul({ a, b: wIn, bias: bIn, activation }) as tf.Tensor2D;
    save([out]);
    return {
      value: out,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const g = maskedDy(dy, saved[0]);
        return [tf.matMul(tf.transpose(a), g), tf.sum(g, 0)];
      },
    };
  })(w, b);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

// ---------------------------------------------------------------------------
// Backend set-up
// ---------------------------------------------------------------------------

function requestedThreads(): number {
  const env = process.env.MIXMODAL_TFJS_THREADS;
  const n = env ? Number.parseInt(env, 10) : os.availableParallelism();
  if (!Number.isInteger(n) || n < 1) throw new Error(`MIXMODAL_TFJS_THREADS must be a positive integer, got ${env}`);
  return Math.min(n, MAX_WASM_THREADS);
}

async function setUpEngine(): Promise<TfjsEngineInfo> {
  const choice = (process.env.MIXMODAL_TFJS_WASM_VARIANT ?? 'auto') as TfjsWasmVariant | 'auto';
  const order: TfjsWasmVariant[] = ['threaded-simd', 'simd', 'plain', 'cpu'];
  if (choice !== 'auto' && !order.includes(choice)) {
    throw new Error(`MIXMODAL_TFJS_WASM_VARIANT must be auto|${order.join('|')}, got ${choice}`);
  }
  const simdFlag = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT') as boolean;
  const multithreadFlag = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT') as boolean;
  const notes: string[] = [];
  tf.enableProdMode();
  tfwasm.setWasmPaths(WASM_DIST_DIR);

  const threads = requestedThreads();
  const candidates = choice === 'auto' ? order : [choice];
  for (const variant of candidates) {
    if (variant === 'threaded-simd') {
      if (!simdFlag) { notes.push('threaded-simd: skipped, no wasm SIMD support'); continue; }
      if (threads < 2) { notes.push(`threaded-simd: skipped, only ${threads} thread requested/available`); continue; }
      notes.push(
        `threaded-simd: stock tfjs reports WASM_HAS_MULTITHREAD_SUPPORT=${multithreadFlag} in Node and, if forced, ` +
          'fails with ERR_WORKER_PATH (pthread worker is a blob: URL); using a worker_threads shim instead',
      );
      const probe = await probeThreadedInChild(threads);
      if (!probe.ok) { notes.push(`threaded-simd: child-process probe failed: ${probe.error}`); continue; }
      if (probe.threads < 2) { notes.push(`threaded-simd: probe ran with ${probe.threads} thread, no gain over simd`); continue; }
      try {
        await initThreadedSimd(threads);
      } catch (e) {
        notes.push(`threaded-simd: in-process init failed after a good probe: ${errMsg(e)}`);
        break; // the wasm module state is now unknown; go straight to cpu below
      }
    } else if (variant === 'simd' || variant === 'plain') {
      if (variant === 'simd' && !simdFlag) { notes.push('simd: skipped, no wasm SIMD support'); continue; }
      tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
      tf.env().set('WASM_HAS_SIMD_SUPPORT', variant === 'simd');
      tfwasm.setThreadsCount(1);
      if (!(await tf.setBackend('wasm'))) { notes.push(`${variant}: tf.setBackend('wasm') failed`); break; }
    } else {
      if (!(await tf.setBackend('cpu'))) throw new Error("tf.setBackend('cpu') failed");
    }
    await tf.ready();
    return describe(variant, simdFlag, multithreadFlag, notes);
  }
  if (choice !== 'auto') throw new Error(`TF.js variant ${choice} is not usable here: ${notes.join('; ')}`);
  if (!(await tf.setBackend('cpu'))) throw new Error("tf.setBackend('cpu') failed");
  return describe('cpu', simdFlag, multithreadFlag, notes);
}

function describe(variant: TfjsWasmVariant, simdFlag: boolean, multithreadFlag: boolean, notes: string[]): TfjsEngineInfo {
  const backend = tf.getBackend();
  if (variant === 'cpu') return { backend, variant, threads: 1, simd: false, simdFlag, multithreadFlag, notes };
  if (backend !== 'wasm') throw new Error(`expected the wasm backend, got ${backend}`);
  return {
    backend,
    variant,
    threads: tfwasm.getThreadsCount(),
    simd: tf.env().getBool('WASM_HAS_SIMD_SUPPORT'),
    simdFlag,
    multithreadFlag,
    notes,
  };
}

/**
 * Initialises the threaded-SIMD build under Node. Three things stand in the
 * way in tfjs-backend-wasm 4.22, each patched only until the module is up:
 *
 * 1. WASM_HAS_MULTITHREAD_SUPPORT is forced to false for Node -> set it true.
 * 2. The pthread worker script and the module factory are handed to the
 *    workers as `blob:` URLs / Blobs, which node:worker_threads cannot load.
 *    Blob and URL.createObjectURL are wrapped so those two scripts are
 *    written to a temp dir and passed by path; the worker script gets a
 *    prelude that resolves the factory Blob to its file, and the factory gets
 *    the bundle-level bindings (require$$N, commonjsGlobal) it closes over.
 * 3. The C++ side caps the pool at emscripten_num_logical_cores() / 2, i.e.
 *    os.cpus().length / 2 (it assumes 2 hyperthreads per core), so on a
 *    2-vCPU box it would run 1 thread. os.cpus() reports 2*threads entries
 *    while the module instantiates.
 *
 * Finally the pool workers are unref'd so they do not keep the process alive.
 */
async function initThreadedSimd(threads: number): Promise<void> {
  const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mixmodal-tfjs-wasm-'));
  process.once('exit', () => fs.rmSync(tmpDir, { recursive: true, force: true }));
  const mainScript = path.join(tmpDir, 'wasm-module-threaded-simd.js');
  const workerScript = path.join(tmpDir, 'wasm-module-threaded-simd.worker.js');

  const blobText = new WeakMap<Blob, string>();
  const RealBlob = globalThis.Blob;
  const realCreateObjectURL = URL.createObjectURL;
  const osModule = requireHere('node:os') as typeof os; // the object the wasm bundle calls cpus() on
  const realCpus = osModule.cpus;

  globalThis.Blob = class extends RealBlob {
    constructor(parts?: BlobPart[], options?: BlobPropertyBag) {
      super(parts, options);
      if (parts?.every((p) => typeof p === 'string')) {
        const text = (parts as string[]).join('');
        blobText.set(this, text);
        if (text.startsWith('var WasmBackendModuleThreadedSimd')) {
          fs.writeFileSync(
            mainScript,
            "var require$$0=require('fs'),require$$1=require('path'),require$$3=require('perf_hooks')," +
              "require$$4=require('os');var commonjsGlobal=globalThis;\n" + text,
          );
        }
      }
    }
  };
  URL.createObjectURL = (obj: Blob): string => {
    const text = blobText.get(obj);
    if (text !== undefined && text.includes('WasmBackendModuleThreadedSimd(Module)')) {
      const prelude =
        `URL.createObjectURL=()=>${JSON.stringify(mainScript)};URL.revokeObjectURL=()=>{};`;
      const body = text.startsWith('"use strict";') ? text.slice('"use strict";'.length) : text;
      fs.writeFileSync(workerScript, `"use strict";${prelude}${body}`);
      return workerScript;
    }
    return realCreateObjectURL(obj);
  };
  const fakeCpus = () => {
    const cpus = realCpus();
    return Array.from({ length: 2 * threads }, (_, i) => cpus[i % cpus.length]);
  };
  osModule.cpus = fakeCpus;

  try {
    tf.env().set('WASM_HAS_SIMD_SUPPORT', true);
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
    tfwasm.setThreadsCount(threads);
    if (!(await tf.setBackend('wasm'))) throw new Error("tf.setBackend('wasm') returned false");
    await tf.ready();
  } finally {
    globalThis.Blob = RealBlob;
    URL.createObjectURL = realCreateObjectURL;
    osModule.cpus = realCpus;
  }
  if (!fs.existsSync(mainScript)) throw new Error('threaded-simd module was not used (flags ignored?)');
  type PThreadWorker = { unref(): void };
  const pthread = (tf.backend() as unknown as { wasm: { PThread?: { unusedWorkers: PThreadWorker[]; runningWorkers: PThreadWorker[] } } })
    .wasm.PThread;
  for (const w of [...(pthread?.unusedWorkers ?? []), ...(pthread?.runningWorkers ?? [])]) w.unref();
}

/** Runs `initThreadedSimd` plus a tiny training step in a child process. */
function probeThreadedInChild(threads: number): Promise<{ ok: true; threads: number } | { ok: false; error: string }> {
  const code =
    `import(process.env.MIXMODAL_TFJS_PROBE_MODULE).then(m => m.__probeThreadedSimd(${threads}))` +
    `.then(r => { console.log('PROBE_RESULT ' + JSON.stringify(r)); process.exit(0); },` +
    ` e => { console.log('PROBE_RESULT ' + JSON.stringify({ ok: false, error: String(e && e.message || e) })); process.exit(1); });`;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '-e', code], {
      cwd: path.dirname(path.dirname(THIS_FILE)),
      env: { ...process.env, MIXMODAL_TFJS_PROBE_MODULE: pathToFileURL(THIS_FILE).href },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), PROBE_TIMEOUT_MS);
    child.on('close', (codeOrNull, signal) => {
      clearTimeout(timer);
      const line = out.split('\n').find((l) => l.startsWith('PROBE_RESULT '));
      if (line) {
        try {
          resolve(JSON.parse(line.slice('PROBE_RESULT '.length)));
          return;
        } catch { /* fall through */ }
      }
      const why = signal ? `killed by ${signal}` : `exit code ${codeOrNull}`;
      resolve({ ok: false, error: `${why}: ${lastLines(err || out)}` });
    });
  });
}

/** @internal Entry point of the child-process probe. */
export async function __probeThreadedSimd(threads: number): Promise<{ ok: true; threads: number }> {
  tf.enableProdMode();
  tfwasm.setWasmPaths(WASM_DIST_DIR);
  await initThreadedSimd(threads);
  const got = tfwasm.getThreadsCount();
  enginePromise = Promise.resolve(describe('threaded-simd', true, false, []));
  // A small training step exercises the threaded matmul forward/backward.
  const r = await benchTfjsMlpStep({ batch: 64, dims: [128, 256, 64], warmup: 1, iters: 1 });
  if (!(r.medianMs > 0)) throw new Error('probe step did not run');
  return { ok: true, threads: got };
}

function lastLines(s: string, n = 3): string {
  return s.trim().split('\n').slice(-n).join(' | ');
}

function errMsg(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
