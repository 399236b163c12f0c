/**
 * `npm run bench -- serve`: HTTP load (autocannon, fixed concurrency)
 * against `mixmodal serve` in a child process on 127.0.0.1, with dynamic
 * batching on (max batch 32, 2000 µs queue delay) and off (max batch 1), on
 * text embeddings, short greedy text chats, image embeddings (a data: URL
 * PNG) and short greedy chats about an image (distinct inputs, cache off);
 * then the latency of a cache hit against a miss at concurrency 1. The model
 * is models/mm-small-synth when it exists (the trained demo model), else
 * mm-small with random weights in a temporary folder.
 *
 * Environment overrides (for quick runs): SERVE_BENCH_WORKLOADS (comma list
 * of workload names), SERVE_BENCH_SECONDS, SERVE_BENCH_WORKERS (passed to
 * both modes as --workers), SERVE_BENCH_THREADS (passed to both modes as
 * --threads), SERVE_BENCH_HOLD_STEPS (passed to both modes as
 * --max-hold-steps), SERVE_BENCH_CACHE=0 (skip the cache latencies).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Agent, request } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import sharp from 'sharp';
import { trainBpe } from '../src/data/tokenizer/train-bpe.js';
import { MODEL_CONFIG_DIR, validateModelConfig } from '../src/model/config.js';
import { saveModelFolder } from '../src/train/model-folder.js';
import { randomModelParams } from '../src/model/inference-graphs.js';
import { TEST_SENTENCES } from '../src/serve/testing.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const WORDS = 'red blue green yellow circle square triangle star small large dog cat runs sits above below left right of the a on near river grass picture shows two three shapes'.split(' ');

export interface ServeBenchOptions {
  concurrency?: number;
  /** Seconds of measured load per run (after 1 s of warm-up load). */
  seconds?: number;
  /** Workloads to load-test (default all of WORKLOADS, in that order). */
  workloads?: WorkloadName[];
  /** `--workers N` for the server in both modes (default: the server's default). */
  workers?: number;
  /** `--threads N` (ONNX Runtime intra-op threads) for the server in both modes (default: the server's default). */
  threads?: number;
  /** `--max-hold-steps N` for the server in both modes (default: the server's default). */
  holdSteps?: number;
  /** Also measure cache hit vs miss latency (default true). */
  cache?: boolean;
}

interface Load {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

async function modelDir(): Promise<{ dir: string; what: string; cleanup: () => void }> {
  const demo = join(ROOT, 'models/mm-small-synth');
  if (existsSync(join(demo, 'config.json'))) return { dir: demo, what: 'models/mm-small-synth (trained demo model)', cleanup: () => {} };
  const tmp = mkdtempSync(join(tmpdir(), 'mixmodal-bench-serve-'));
  const raw = JSON.parse(readFileSync(join(MODEL_CONFIG_DIR, 'mm-small.json'), 'utf8')) as Record<string, unknown>;
  const cfg = validateModelConfig(raw);
  const tokenizer = await trainBpe([...TEST_SENTENCES, WORDS.join(' ')], { vocabSize: 400 });
  await saveModelFolder(tmp, { cfg: raw, params: randomModelParams(cfg, 0), tokenizer });
  return { dir: tmp, what: 'mm-small with random weights (models/mm-small-synth not found; `npm run train:demo` makes it)', cleanup: () => rmSync(tmp, { recursive: true, force: true }) };
}

async function startServer(dir: string, flags: string[]): Promise<{ url: string; child: ChildProcess; modelId: string }> {
  const child = spawn(process.execPath, [join(ROOT, 'bin/mixmodal.js'), 'serve', '--model', dir, '--port', '0', ...flags], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((ok, fail) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /serve: (\S+) \(version \S+\) listening on (http:\/\/\S+)/.exec(out);
      if (m) ok({ url: m[2]!, child, modelId: m[1]! });
    });
    child.once('exit', (code) => fail(new Error(`mixmodal serve exited ${code}: ${out}`)));
  });
}

function stopServer(child: ChildProcess): Promise<void> {
  return new Promise((ok) => {
    child.once('exit', () => ok());
    process.kill(child.pid!, 'SIGTERM');
  });
}

let counter = 0;
/** A different short sentence every call (so neither the cache nor identical rows help). */
function sentence(): string {
  const n = ++counter;
  return Array.from({ length: 6 + (n % 5) }, (_, i) => WORDS[(n * 7 + i * 13 + Math.floor(n / 11)) % WORDS.length]).join(' ') + ` #${n}`;
}

type Body = (modelId: string) => string;
const embedBody: Body = (model) => JSON.stringify({ model, input: sentence() });
const chatBody: Body = (model) => JSON.stringify({ model, messages: [{ role: 'user', content: sentence() }], max_tokens: 8, temperature: 0 });

/** 64 different 64×64 PNGs (stripes of two colours) as data: URLs, made once. */
async function pngPool(): Promise<string[]> {
  const urls: string[] = [];
  for (let n = 0; n < 64; n++) {
    const rgb = Buffer.alloc(64 * 64 * 3);
    const a = [(n * 37) % 256, (n * 91) % 256, (n * 53) % 256];
    const b = [255 - a[0]!, (a[1]! + 128) % 256, (n * 17) % 256];
    for (let y = 0; y < 64; y++) for (let x = 0; x < 64; x++) rgb.set(((x + y * (n % 3)) >> (2 + (n % 4))) % 2 ? a : b, 3 * (y * 64 + x));
    urls.push(`data:image/png;base64,${(await sharp(rgb, { raw: { width: 64, height: 64, channels: 3 } }).png().toBuffer()).toString('base64')}`);
  }
  return urls;
}

interface Workload {
  label: string;
  path: string;
  body: Body;
}

const ALL_WORKLOADS = ['embeddings', 'chat', 'imageEmbeddings', 'imageChat'] as const;
export type WorkloadName = (typeof ALL_WORKLOADS)[number];

function workloads(pngs: string[]): Record<WorkloadName, Workload> {
  const png = () => pngs[counter++ % pngs.length]!;
  return {
    embeddings: { label: 'embeddings (text)', path: '/v1/embeddings', body: embedBody },
    chat: { label: 'chat (text, 8 tokens)', path: '/v1/chat/completions', body: chatBody },
    imageEmbeddings: { label: 'embeddings (image, data: URL PNG 64×64)', path: '/v1/embeddings', body: (model) => JSON.stringify({ model, input: [{ image: png() }] }) },
    imageChat: {
      label: 'chat (text + image, 8 tokens)',
      path: '/v1/chat/completions',
      body: (model) =>
        JSON.stringify({ model, messages: [{ role: 'user', content: [{ type: 'text', text: sentence() }, { type: 'image_url', image_url: { url: png() } }] }], max_tokens: 8, temperature: 0 }),
    },
  };
}

/** Options from the environment (SERVE_BENCH_*, see the top of this file) over `o`. */
function withEnv(o: ServeBenchOptions): ServeBenchOptions {
  const env = process.env;
  const r = { ...o };
  if (env.SERVE_BENCH_WORKLOADS) {
    const names = env.SERVE_BENCH_WORKLOADS.split(',').map((x) => x.trim()) as WorkloadName[];
    const bad = names.filter((n) => !(ALL_WORKLOADS as readonly string[]).includes(n));
    if (bad.length) throw new Error(`SERVE_BENCH_WORKLOADS: unknown ${bad.join(', ')}; known: ${ALL_WORKLOADS.join(', ')}`);
    r.workloads = names;
  }
  if (env.SERVE_BENCH_SECONDS) r.seconds = Number(env.SERVE_BENCH_SECONDS);
  if (env.SERVE_BENCH_WORKERS) r.workers = Number(env.SERVE_BENCH_WORKERS);
  if (env.SERVE_BENCH_THREADS) r.threads = Number(env.SERVE_BENCH_THREADS);
  if (env.SERVE_BENCH_HOLD_STEPS) r.holdSteps = Number(env.SERVE_BENCH_HOLD_STEPS);
  if (env.SERVE_BENCH_CACHE === '0') r.cache = false;
  return r;
}

async function load(url: string, path: string, body: () => string, connections: number, seconds: number): Promise<Load> {
  const run = (duration: number) =>
    autocannon({
      url: `${url}${path}`,
      connections,
      duration,
      timeout: 60,
      requests: [{ method: 'POST', headers: { 'content-type': 'application/json' }, setupRequest: (req) => ({ ...req, body: body() }) }],
    });
  await run(1); // warm-up: compiles sessions, fills caches of the OS and the allocator
  const r = await run(seconds);
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.timeouts + r.non2xx };
}

/** Latency of `n` sequential requests on one keep-alive connection (ms, sub-millisecond precision). */
async function sequential(url: string, path: string, body: () => string, n: number): Promise<{ p50: number; p99: number; mean: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const { hostname, port } = new URL(url);
  const once = (data: string) =>
    new Promise<number>((ok, fail) => {
      const t0 = performance.now();
      const req = request({ hostname, port, path, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } }, (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? ok(performance.now() - t0) : fail(new Error(`HTTP ${res.statusCode}`))));
      });
      req.on('error', fail);
      req.end(data);
    });
  for (let i = 0; i < 20; i++) await once(body());
  const ms: number[] = [];
  for (let i = 0; i < n; i++) ms.push(await once(body()));
  agent.destroy();
  ms.sort((a, b) => a - b);
  return { p50: ms[Math.floor(n * 0.5)]!, p99: ms[Math.min(n - 1, Math.floor(n * 0.99))]!, mean: ms.reduce((a, b) => a + b, 0) / n };
}

const fmt = (l: Load) => `${l.rps.toFixed(0).padStart(6)} req/s   p50 ${l.p50.toFixed(1).padStart(7)} ms   p99 ${l.p99.toFixed(1).padStart(7)} ms${l.errors ? `   (${l.errors} errors)` : ''}`;

export async function runServeBench(options: ServeBenchOptions = {}): Promise<Record<string, number>> {
  const o = withEnv(options);
  const concurrency = o.concurrency ?? 32;
  const seconds = o.seconds ?? 6;
  const names = o.workloads ?? ALL_WORKLOADS;
  const model = await modelDir();
  const all = workloads(await pngPool());
  const serverFlags = [
    ...(o.workers !== undefined ? ['--workers', String(o.workers)] : []),
    ...(o.threads !== undefined ? ['--threads', String(o.threads)] : []),
    ...(o.holdSteps !== undefined ? ['--max-hold-steps', String(o.holdSteps)] : []),
  ];
  console.log(`model: ${model.what}`);
  console.log(`load: autocannon in this process, ${concurrency} connections, ${seconds} s per run (+1 s warm-up), distinct inputs, cache off;`);
  console.log(
    `server: \`mixmodal serve\` in a child process, ONNX Runtime ${o.threads !== undefined ? `--threads ${o.threads}` : "the server's default threads"}, ${o.workers !== undefined ? `--workers ${o.workers}` : 'default workers'}${o.holdSteps !== undefined ? `, --max-hold-steps ${o.holdSteps}` : ''}, ${availableParallelism()} cores shared with the load generator`,
  );
  const modes: [string, string[]][] = [
    ['batching on  (max batch 32, delay 2000 µs)', ['--max-batch', '32', '--max-queue-delay-us', '2000']],
    ['batching off (max batch 1)               ', ['--max-batch', '1', '--max-queue-delay-us', '0']],
  ];
  const results: Record<string, number> = {};
  try {
    const byWorkload = Object.fromEntries(names.map((w) => [w, [] as Load[]])) as Record<WorkloadName, Load[]>;
    for (const [name, flags] of modes) {
      const s = await startServer(model.dir, [...flags, ...serverFlags, '--no-cache']);
      try {
        for (const w of names) byWorkload[w].push(await load(s.url, all[w].path, () => all[w].body(s.modelId), concurrency, seconds));
      } finally {
        await stopServer(s.child);
      }
      names.forEach((w, i) => console.log(`  ${i === 0 ? name : ' '.repeat(name.length)}  ${all[w].label}: ${fmt(byWorkload[w].at(-1)!)}`));
    }
    for (const w of names) {
      const [on, off] = byWorkload[w];
      const ratio = on!.rps / off!.rps;
      console.log(`${all[w].label}: batching on / off throughput = ${ratio.toFixed(2)}× (target ≥ 3× at concurrency ${concurrency})`);
      Object.assign(results, { [`${w}OnRps`]: on!.rps, [`${w}OffRps`]: off!.rps, [`${w}Ratio`]: ratio, [`${w}OnP99`]: on!.p99, [`${w}OffP99`]: off!.p99 });
    }
    if (o.cache === false) return results;

    const s = await startServer(model.dir, ['--max-batch', '32', '--max-queue-delay-us', '2000', ...serverFlags]);
    try {
      const fixed = JSON.stringify({ model: s.modelId, messages: [{ role: 'user', content: 'a red circle above a blue square' }], max_tokens: 8, temperature: 0 });
      const hit = await sequential(s.url, '/v1/chat/completions', () => fixed, 500);
      const miss = await sequential(s.url, '/v1/chat/completions', () => chatBody(s.modelId), 200);
      const ms = (x: { p50: number; p99: number }) => `p50 ${x.p50.toFixed(2)} ms   p99 ${x.p99.toFixed(2)} ms`;
      console.log(`cache (in-process LRU), one connection, chat (8 tokens): hit ${ms(hit)};  miss ${ms(miss)}`);
      Object.assign(results, { cacheHitP50: hit.p50, cacheHitP99: hit.p99, cacheMissP50: miss.p50, cacheMissP99: miss.p99 });
    } finally {
      await stopServer(s.child);
    }
  } finally {
    model.cleanup();
  }
  return results;
}
