/** `mixmodal serve`: the OpenAI-compatible HTTP server over a model folder (see src/serve/). */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadModelFolder } from '../../train/model-folder.js';
import { serveConfig, type ServeConfig, type ServeConfigInput } from '../../serve/config.js';
import { createServer } from '../../serve/server.js';
import { numberOption, type Command } from '../command.js';

/** The bundled demo model's folder name (written by `npm run train:demo`). */
export const DEMO_MODEL = 'models/mm-small-synth';
const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** --model DIR, else the demo model under the working directory or the repo; a clear error when there is none. */
export function resolveModelDir(model: string | undefined, cwd = process.cwd(), searched: readonly string[] = [cwd, REPO_ROOT]): string {
  if (model) return resolve(cwd, model);
  for (const base of searched) {
    const dir = join(base, DEMO_MODEL);
    if (existsSync(join(dir, 'config.json'))) return dir;
  }
  throw new Error(
    `no model to serve: ${DEMO_MODEL} does not exist. Get the demo model with 'npm run train:demo' (writes ${DEMO_MODEL}), ` +
      'or pass --model DIR (a model folder: config.json, weights.safetensors, tokenizer.json).',
  );
}

/** ServeConfig from --config FILE, then the flags, then REDIS_URL. */
export function configFromFlags(values: Record<string, string | boolean | undefined>, env: NodeJS.ProcessEnv = process.env): ServeConfig {
  let raw: ServeConfigInput = {};
  if (typeof values.config === 'string') {
    try {
      raw = JSON.parse(readFileSync(values.config, 'utf8')) as ServeConfigInput;
    } catch (e) {
      throw new Error(`--config ${values.config}: ${(e as Error).message}`);
    }
  }
  const int = (name: string, min: number) => (values[name] === undefined ? undefined : numberOption(values, name, 0, { min, integer: true }));
  const set = <T extends object>(o: T, k: keyof T, v: unknown) => {
    if (v !== undefined) (o as Record<string, unknown>)[k as string] = v;
  };
  const batching = { ...raw.batching };
  set(batching, 'maxBatch', int('max-batch', 1));
  set(batching, 'maxQueueDelayUs', int('max-queue-delay-us', 0));
  set(batching, 'maxHoldSteps', int('max-hold-steps', 0));
  set(batching, 'queueSize', int('queue-size', 1));
  set(batching, 'requestTimeoutMs', int('request-timeout-ms', 1));
  if (typeof values['preferred-batch-sizes'] === 'string') batching.preferredBatchSizes = values['preferred-batch-sizes'].split(',').map(Number);
  const cache = { ...raw.cache };
  set(cache, 'redisUrl', typeof values.redis === 'string' ? values.redis : env.REDIS_URL || undefined);
  if (values['no-cache']) cache.enabled = false;
  const top: ServeConfigInput = { ...raw, batching, cache };
  set(top, 'host', values.host);
  set(top, 'port', int('port', 0));
  set(top, 'workers', int('workers', 0));
  set(top, 'threads', int('threads', 1));
  set(top, 'modelId', values['model-id']);
  set(top, 'experimentsFile', values.experiments);
  if (typeof values['expert-shards'] === 'string') top.expertShards = values['expert-shards'].split(',').map((s) => s.trim()).filter(Boolean);
  return serveConfig(top);
}

export const serveCommand: Command = {
  name: 'serve',
  summary: 'serve a model over an OpenAI-compatible HTTP API (chat, embeddings, routing, metrics)',
  help: `Usage: mixmodal serve [--model DIR] [--host H] [--port P] [--redis URL] [--max-batch N]
                      [--max-queue-delay-us N] [--queue-size N] [--workers N]
                      [--expert-shards host:port,...] [--experiments FILE] [options]

Starts the HTTP API on the embedded defaults (in-process LRU cache, no other
host needed): POST /v1/chat/completions, POST /v1/embeddings, GET /v1/models,
POST /v1/route, GET /metrics, GET /healthz, GET /readyz. SIGTERM drains:
new requests get 503, accepted ones finish, then the process exits 0.

Options:
  --model DIR                  model folder (default ${DEMO_MODEL}, from 'npm run train:demo')
  --host H                     interface to listen on (default 127.0.0.1)
  --port P                     TCP port (default 8080; 0 = any free port)
  --redis URL                  cache in Redis (redis://host:port); also REDIS_URL (default: in-process LRU)
  --no-cache                   do not cache results
  --max-batch N                requests per batch and rows per decode step; 1 = no batching (default 32)
  --max-queue-delay-us N       longest wait for a batch to fill, microseconds (default 2000)
  --max-hold-steps N           while rows decode, a small chat encode batch waits up to N decode steps
                               to grow (default 4; 0 = never)
  --preferred-batch-sizes L    comma list of batch sizes run as soon as reachable (default none)
  --queue-size N               waiting requests before 429 (default 1024)
  --request-timeout-ms N       per-request timeout (default 60000)
  --workers N                  model worker threads (default 0: in process)
  --expert-shards LIST         host:port of expert shards (default: all experts local)
  --experiments FILE           routing-strategy A/B test file
  --threads N                  ONNX Runtime threads of the model; idle ones block instead of spinning
                               (default 2; shared among --workers)
  --model-id ID                served model id (default: the model config's name)
  --config FILE                JSON ServeConfig (limits, cache TTL/size, …); flags override it
  -h, --help                   show this help

Example:
  mixmodal serve --model models/mm-small-synth --port 8080 --max-batch 32`,
  options: {
    model: { type: 'string' },
    host: { type: 'string' },
    port: { type: 'string' },
    redis: { type: 'string' },
    'no-cache': { type: 'boolean' },
    'max-batch': { type: 'string' },
    'max-queue-delay-us': { type: 'string' },
    'max-hold-steps': { type: 'string' },
    'preferred-batch-sizes': { type: 'string' },
    'queue-size': { type: 'string' },
    'request-timeout-ms': { type: 'string' },
    workers: { type: 'string' },
    'expert-shards': { type: 'string' },
    experiments: { type: 'string' },
    threads: { type: 'string' },
    'model-id': { type: 'string' },
    config: { type: 'string' },
  },
  async run({ values }) {
    const config = configFromFlags(values);
    const dir = resolveModelDir(values.model as string | undefined);
    const folder = await loadModelFolder(dir);
    const server = await createServer({ cfg: folder.cfg, params: folder.params, tokenizer: folder.tokenizer, dir }, config);
    const url = await server.listen();
    const b = config.batching;
    console.log(
      `mixmodal serve: ${server.model.id} (version ${server.model.version}) listening on ${url}\n` +
        `  batching: max ${b.maxBatch}, delay ${b.maxQueueDelayUs} µs, queue ${b.queueSize}; cache: ${config.cache.enabled ? (config.cache.redisUrl ? 'redis' : 'in-process LRU') : 'off'}`,
    );
    await new Promise<void>((done) => {
      const stop = (signal: string) => {
        console.log(`mixmodal serve: ${signal}: draining (503 to new requests, finishing accepted ones)`);
        server.drainAndClose().then(
          () => {
            console.log('mixmodal serve: drained, bye');
            done();
          },
          (e: Error) => {
            console.error(`mixmodal serve: error while closing: ${e.message}`);
            done();
          },
        );
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
    });
    return 0;
  },
};
