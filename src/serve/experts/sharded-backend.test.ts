import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Modality } from '../../model/modalities.js';
import { ModelRuntime } from '../../model/model-runtime.js';
import { UnavailableError } from '../engine-api.js';
import { ExpertRunner } from './expert-runner.js';
import { GrpcShardClient, connectGrpcShards } from './grpc-shard-client.js';
import { GrpcShardServer } from './grpc-shard-server.js';
import { LocalBackend } from '../backend/local-backend.js';
import { createShardedBackend } from './index.js';
import { ShardedBackend } from './sharded-backend.js';
import { expectOutputsClose, feedsFor, tinyCfg, tinyParams } from './test-helpers.js';
import { workerShards } from './worker-shard.js';

const SIGNATURES: Modality[][] = [['text'], ['text', 'image'], ['audio', 'video'], ['text', 'image', 'audio', 'video']];
const local = new ModelRuntime(tinyCfg, tinyParams, { threads: 1 });
const expected = new Map<string, Awaited<ReturnType<ModelRuntime['encode']>>>();

beforeAll(async () => {
  for (const [i, sig] of SIGNATURES.entries()) expected.set(sig.join('+'), await local.encode(sig, feedsFor(sig, 10 + i)));
});
afterAll(() => local.release());

/** The gateway does not need the experts' weights. */
const denseParams = new Map([...tinyParams].filter(([k]) => !k.includes('.moe.experts.')));

describe('ShardedBackend', () => {
  it('with worker-thread shards gives the local encode outputs (1e-5)', async () => {
    const backend = new ShardedBackend({ cfg: tinyCfg, params: denseParams, shards: workerShards(tinyCfg, tinyParams, 2), sessionOptions: { threads: 1 } });
    try {
      for (const [i, sig] of SIGNATURES.entries()) expectOutputsClose(await backend.encode(sig, feedsFor(sig, 10 + i)), expected.get(sig.join('+'))!);
      // A routing variant reaches the split graph as it does the local one.
      const variant = { name: 'top1-uniform', topK: 1, gateStrategy: 'uniform' as const };
      const want = await local.encode(['text', 'image'], feedsFor(['text', 'image'], 5), { gateStrategy: 'uniform', moe: { topK: 1 } });
      expectOutputsClose(await backend.encode(['text', 'image'], feedsFor(['text', 'image'], 5), variant), want);
    } finally {
      await backend.close();
    }
  });

  describe('with two gRPC shards on 127.0.0.1', () => {
    const runners = [new ExpertRunner(tinyCfg, tinyParams, [0, 1], { threads: 1 }), new ExpertRunner(tinyCfg, tinyParams, [2, 3], { threads: 1 })];
    let servers: GrpcShardServer[] = [];
    let backend: ShardedBackend;
    beforeAll(async () => {
      servers = await Promise.all(runners.map((r) => GrpcShardServer.start(r)));
      const shards = await connectGrpcShards(
        servers.map((s) => s.address),
        { model: 'mm-tiny', dim: 32, numExperts: 4, layers: 2 },
        { deadlineMs: 5000 },
      );
      backend = new ShardedBackend({ cfg: tinyCfg, params: denseParams, shards, sessionOptions: { threads: 1 } });
    });
    afterAll(async () => {
      await backend?.close();
      for (const s of servers) await s.close(200);
      for (const r of runners) await r.close();
    });

    it('gives the local encode outputs (1e-5) for several signatures, requests in parallel', async () => {
      const outs = await Promise.all(SIGNATURES.map((sig, i) => backend.encode(sig, feedsFor(sig, 10 + i))));
      outs.forEach((out, i) => expectOutputsClose(out, expected.get(SIGNATURES[i]!.join('+'))!));
    });

    it('createShardedBackend (the --expert-shards plug-in) wraps a LocalBackend: same outputs, same model version', async () => {
      const localBackend = new LocalBackend(tinyCfg, tinyParams, { threads: 1 });
      const sharded = await createShardedBackend({ local: localBackend, shards: servers.map((s) => s.address) });
      try {
        expect(sharded.modelVersion).toBe(localBackend.modelVersion);
        const sig = SIGNATURES[3]!;
        expectOutputsClose(await sharded.encode(sig, feedsFor(sig, 13)), expected.get(sig.join('+'))!);
        expect(await sharded.decoder()).toBe(await localBackend.decoder());
      } finally {
        await sharded.close();
        await localBackend.close();
      }
    });

    it('a killed shard gives UnavailableError, not a crash; after it restarts on the same port encode succeeds and matches', async () => {
      const sig = SIGNATURES[1]!;
      const port = servers[1]!.port;
      servers[1]!.kill();
      for (let i = 0; i < 3; i++) await expect(backend.encode(sig, feedsFor(sig, 11))).rejects.toBeInstanceOf(UnavailableError);
      servers[1] = await GrpcShardServer.start(runners[1]!, { port });
      const until = Date.now() + 10_000;
      let out;
      while (!out) {
        out = await backend.encode(sig, feedsFor(sig, 11)).catch((e: Error) => {
          if (!(e instanceof UnavailableError) || Date.now() > until) throw e;
          return new Promise<undefined>((r) => setTimeout(() => r(undefined), 100));
        });
      }
      expectOutputsClose(out, expected.get(sig.join('+'))!);
    });
  });

  it('refuses a placement that leaves an expert without a shard, or serves one twice', () => {
    const a = new GrpcShardClient('127.0.0.1:1');
    const b = new GrpcShardClient('127.0.0.1:2');
    expect(() => new ShardedBackend({ cfg: tinyCfg, params: denseParams, shards: [{ transport: a, experts: [0, 1, 2] }] })).toThrow(/no shard serves expert\(s\) 3/);
    expect(() => new ShardedBackend({ cfg: tinyCfg, params: denseParams, shards: [{ transport: a, experts: [0, 1, 2] }, { transport: b, experts: [2, 3] }] })).toThrow(/expert 2 is served by two shards/);
    void a.close();
    void b.close();
  });

  it('connectGrpcShards refuses a shard of another model', async () => {
    const runner = new ExpertRunner(tinyCfg, tinyParams, [0], { threads: 1 });
    const server = await GrpcShardServer.start(runner);
    try {
      await expect(connectGrpcShards([server.address], { model: 'mm-tiny', dim: 64, numExperts: 4, layers: 2 })).rejects.toThrow(/dim 32.*dim 64/);
    } finally {
      await server.close(200);
      await runner.close();
    }
  });
});
