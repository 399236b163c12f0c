/**
 * A model worker thread: builds an Engine from an engine module (by default
 * local-engine-factory.ts: the model folder on a LocalBackend) and serves the
 * pool's calls; streamed tokens and batch events are relayed as messages.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Engine } from '../engine-api.js';
import { Outbox } from './outbox.js';
import { toWire, type FromWorker, type ToWorker, type WorkerEngineHooks } from './worker-protocol.js';

const { module, exportName, options, worker } = workerData as { module: string; exportName: string; options: unknown; worker: number };
const port = parentPort!;
const outbox = new Outbox<FromWorker>((batch) => port.postMessage(batch));
const send = (m: FromWorker) => outbox.send(m);

let engine: Engine;
try {
  const mod = (await import(module)) as Record<string, (o: unknown, hooks: WorkerEngineHooks) => Promise<Engine>>;
  const factory = mod[exportName];
  if (typeof factory !== 'function') throw new Error(`${module} does not export a function ${exportName}`);
  engine = await factory(options, { observer: { onBatch: (event) => send({ type: 'batch', event }) }, worker });
} catch (e) {
  send({ type: 'init-error', error: toWire(e) });
  outbox.flush();
  process.exit(1);
}

const aborts = new Map<number, AbortController>();
const status = () => ({ stats: engine.stats(), ready: engine.ready() });

port.on('message', (batch: ToWorker[]) => batch.forEach(handle));

function handle(msg: ToWorker): void {
  switch (msg.type) {
    case 'call': {
      const ac = new AbortController();
      aborts.set(msg.id, ac);
      const meta = { ...msg.meta, signal: ac.signal };
      const p: Promise<unknown> =
        msg.method === 'embed'
          ? engine.embed(msg.input, meta)
          : msg.method === 'route'
            ? engine.route(msg.input, meta)
            : engine.generate(msg.input, msg.params, meta, msg.stream ? (text) => send({ type: 'token', id: msg.id, text }) : undefined);
      p.then(
        (result) => send({ type: 'result', id: msg.id, result, ...status() }),
        (e) => send({ type: 'error', id: msg.id, error: toWire(e), ...status() }),
      ).finally(() => aborts.delete(msg.id));
      return;
    }
    case 'abort':
      aborts.get(msg.id)?.abort();
      return;
    case 'drain':
      void engine.drain().then(() => send({ type: 'drained' }));
      return;
    case 'close':
      void engine
        .close()
        .catch(() => undefined)
        .finally(() => {
          outbox.flush();
          process.exit(0);
        });
      return;
  }
}
send({ type: 'ready', ...status() });
