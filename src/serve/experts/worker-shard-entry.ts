/**
 * The worker-thread side of a WorkerShard: builds an ExpertRunner from
 * workerData and answers run messages; the output's buffer is transferred
 * back.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { HostTensor } from '../../graph/host-tensor.js';
import type { ModelConfig } from '../../model/config.js';
import { ExpertRunner } from './expert-runner.js';
import type { WorkerShardReply, WorkerShardRequest } from './worker-shard.js';

const { cfg, params, experts, threads } = workerData as { cfg: ModelConfig; params: [string, HostTensor][]; experts: number[]; threads: number };
const runner = new ExpertRunner(cfg, new Map(params), experts, { threads, spinning: false }); // shares the cores with the server: no spin-waiting
const port = parentPort!;

port.on('message', (msg: WorkerShardRequest) => {
  if (msg.type === 'close') {
    void runner.close().finally(() => port.close());
    return;
  }
  runner.run(msg.layer, msg.expert, msg.input, msg.rows).then(
    (output) => {
      // ORT may hand back a view of a larger buffer; transfer an exact copy then.
      const own = output.byteOffset === 0 && output.byteLength === output.buffer.byteLength ? output : output.slice();
      port.postMessage({ type: 'result', id: msg.id, output: own } satisfies WorkerShardReply, [own.buffer as ArrayBuffer]);
    },
    (e: Error) => port.postMessage({ type: 'error', id: msg.id, message: e.message } satisfies WorkerShardReply),
  );
});
await runner.warm();
port.postMessage({ type: 'ready' } satisfies WorkerShardReply);
