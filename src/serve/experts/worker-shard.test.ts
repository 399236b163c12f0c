import { describeExpertTransportContract } from './transport-contract.js';
import { WorkerShard } from './worker-shard.js';
import { tinyCfg, tinyParams } from './test-helpers.js';

describeExpertTransportContract('worker-thread shard', async () => {
  const experts = [1, 2];
  const shard = new WorkerShard(tinyCfg, tinyParams, experts);
  await shard.start();
  return {
    transport: shard,
    experts,
    restartsItself: true,
    kill: () => shard.kill(),
    restart: () => shard.start(), // a dead thread is replaced on the next call anyway
    close: () => shard.close(),
  };
});
