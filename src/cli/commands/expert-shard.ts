/** `mixmodal expert-shard`: serves some experts of every MoE layer over gRPC for `mixmodal serve --expert-shards`. */
import { ExpertRunner } from '../../serve/experts/expert-runner.js';
import { parseExpertList } from '../../serve/experts/expert-transport.js';
import { GrpcShardServer } from '../../serve/experts/grpc-shard-server.js';
import { loadModelSource } from '../../serve/experts/model-source.js';
import { numberOption, type Command } from '../command.js';

export const expertShardCommand: Command = {
  name: 'expert-shard',
  summary: 'serve some experts of every MoE layer over gRPC (expert parallelism)',
  help: `Usage: mixmodal expert-shard --model DIR --experts LIST --port P [--host H] [--threads N]
       mixmodal expert-shard --config NAME --seed S --experts LIST --port P   (random weights)

Loads the model and serves experts LIST of every MoE layer over gRPC
(service mixmodal.experts.v1.ExpertShard, src/serve/experts/expert-shard.proto).
A gateway started with 'mixmodal serve --expert-shards host:port,…' runs the
dense parts and sends each shard the tokens routed to its experts. Every
expert must be served by exactly one shard. Stops on SIGINT/SIGTERM after the
calls in flight finish.

Options:
  --model DIR     model folder (config.json, weights.safetensors, tokenizer.json)
  --config NAME   instead of --model: a config of configs/models (or a .json path) with
                  random weights from --seed (tests and demos; gateway and shards must
                  use the same seed)
  --seed S        seed of the random weights with --config (default 0)
  --experts LIST  experts to serve: ids and ranges, e.g. 0-3 or 0,2,5 (required)
  --port P        TCP port; 0 = any free port, printed on start (required)
  --host H        interface to bind (default 127.0.0.1)
  --threads N     ONNX Runtime intra-op threads (default 1)
  -h, --help      show this help

Example:
  mixmodal expert-shard --model models/mm-small --experts 0-3 --port 7001
  mixmodal expert-shard --model models/mm-small --experts 4-7 --port 7002
  mixmodal serve --model models/mm-small --expert-shards 127.0.0.1:7001,127.0.0.1:7002`,
  options: {
    model: { type: 'string' },
    config: { type: 'string' },
    seed: { type: 'string' },
    experts: { type: 'string' },
    port: { type: 'string' },
    host: { type: 'string' },
    threads: { type: 'string' },
  },
  async run({ values }) {
    if (typeof values.experts !== 'string') throw new Error('missing --experts LIST (e.g. --experts 0-3)');
    if (values.port === undefined) throw new Error('missing --port P (0 = any free port)');
    const experts = parseExpertList(values.experts);
    const port = numberOption(values, 'port', 0, { min: 0, integer: true });
    if (port > 65535) throw new Error(`--port must be ≤ 65535, got ${port}`);
    const threads = numberOption(values, 'threads', 1, { min: 1, integer: true });
    const seed = numberOption(values, 'seed', 0, { integer: true });
    const host = (values.host as string | undefined) ?? '127.0.0.1';
    const { cfg, params, what } = await loadModelSource({ model: values.model as string | undefined, config: values.config as string | undefined, seed });
    const runner = new ExpertRunner(cfg, params, experts, { threads, spinning: false }); // a shard usually shares its cores: no spin-waiting
    await runner.warm();
    const server = await GrpcShardServer.start(runner, { host, port });
    console.log(`expert shard listening on ${server.address}: ${what}, experts ${experts.join(',')} of ${cfg.fusion.moe.numExperts}, ${runner.layers.length} MoE layers`);
    await new Promise<void>((resolve) => {
      const stop = (sig: string) => {
        console.log(`expert shard: ${sig}, finishing calls in flight`);
        resolve();
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
    });
    await server.close(5000);
    await runner.close();
    return 0;
  },
};
