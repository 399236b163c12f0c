import { describe, expect, it } from 'vitest';
import { ExpertRunner } from './expert-runner.js';
import { GrpcShardClient, parseShardAddresses } from './grpc-shard-client.js';
import { GrpcShardServer } from './grpc-shard-server.js';
import { tinyCfg, tinyParams } from './test-helpers.js';
import { describeExpertTransportContract } from './transport-contract.js';

describeExpertTransportContract('gRPC shard on 127.0.0.1', async () => {
  const experts = [0, 3];
  const runner = new ExpertRunner(tinyCfg, tinyParams, experts, { threads: 1 });
  let server = await GrpcShardServer.start(runner);
  const port = server.port;
  const client = new GrpcShardClient(server.address, { deadlineMs: 5000 });
  return {
    transport: client,
    experts,
    kill: async () => server.kill(),
    restart: async () => {
      server = await GrpcShardServer.start(runner, { port });
    },
    close: async () => {
      await client.close();
      await server.close(500);
      await runner.close();
    },
  };
});

describe('gRPC shard client', () => {
  it('reports what the shard serves', async () => {
    const runner = new ExpertRunner(tinyCfg, tinyParams, [2], { threads: 1 });
    const server = await GrpcShardServer.start(runner);
    const client = new GrpcShardClient(server.address);
    try {
      expect(await client.info()).toEqual({ model: 'mm-tiny', experts: [2], layers: 2, dim: 32, numExperts: 4 });
    } finally {
      await client.close();
      await server.close(500);
      await runner.close();
    }
  });

  it('parses --expert-shards lists', () => {
    expect(parseShardAddresses('127.0.0.1:7001, host-b:7002')).toEqual(['127.0.0.1:7001', 'host-b:7002']);
    expect(() => parseShardAddresses('127.0.0.1')).toThrow(/not host:port/);
    expect(() => parseShardAddresses('')).toThrow(/expected host:port/);
  });
});
