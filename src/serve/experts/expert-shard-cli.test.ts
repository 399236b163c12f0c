/** Acceptance: gRPC shards as separate processes (`mixmodal expert-shard`); killing one gives 503s (UnavailableError), and serving recovers when it returns. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Modality } from '../../model/modalities.js';
import { ModelRuntime } from '../../model/model-runtime.js';
import { UnavailableError } from '../engine-api.js';
import { connectGrpcShards } from './grpc-shard-client.js';
import { ShardedBackend } from './sharded-backend.js';
import { expectOutputsClose, feedsFor, TINY_SEED, tinyCfg, tinyParams } from './test-helpers.js';

const BIN = fileURLToPath(new URL('../../../bin/mixmodal.js', import.meta.url));

interface Shard {
  child: ChildProcess;
  port: number;
  exited: Promise<void>;
}

/** Starts `mixmodal expert-shard` and resolves once it prints its address. */
function startShard(experts: string, port = 0): Promise<Shard> {
  const child = spawn(process.execPath, [BIN, 'expert-shard', '--config', 'mm-tiny', '--seed', String(TINY_SEED), '--experts', experts, '--port', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on 127\.0\.0\.1:(\d+)/.exec(out);
      if (m) resolve({ child, port: Number(m[1]), exited });
    });
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.once('exit', (code) => reject(new Error(`expert-shard exited with ${code} before listening: ${err}`)));
  });
}

async function stop(s: Shard | undefined, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (!s || s.child.exitCode !== null || s.child.signalCode !== null) return;
  s.child.kill(signal);
  await s.exited;
}

describe('mixmodal expert-shard processes behind a ShardedBackend', () => {
  const shards: Shard[] = [];
  let backend: ShardedBackend;
  const local = new ModelRuntime(tinyCfg, tinyParams, { threads: 1 });
  const sig: Modality[] = ['text', 'image'];

  beforeAll(async () => {
    shards.push(...(await Promise.all([startShard('0-1'), startShard('2-3')])));
    const placements = await connectGrpcShards(
      shards.map((s) => `127.0.0.1:${s.port}`),
      { model: 'mm-tiny', dim: 32, numExperts: 4, layers: 2 },
      { deadlineMs: 5000 },
    );
    backend = new ShardedBackend({ cfg: tinyCfg, params: tinyParams, shards: placements, sessionOptions: { threads: 1 } });
  });
  afterAll(async () => {
    await backend?.close();
    await local.release();
    for (const s of shards) await stop(s);
  });

  it('same outputs as single-process serving; kill -9 one shard → UnavailableError; restarted on its port → serves again', async () => {
    const feeds = feedsFor(sig, 21);
    const want = await local.encode(sig, feeds);
    expectOutputsClose(await backend.encode(sig, feeds), want);

    const victim = shards[0]!;
    await stop(victim, 'SIGKILL');
    await expect(backend.encode(sig, feeds)).rejects.toBeInstanceOf(UnavailableError);
    await expect(backend.encode(['audio'], feedsFor(['audio'], 3))).rejects.toBeInstanceOf(UnavailableError);

    shards[0] = await startShard('0-1', victim.port);
    const until = Date.now() + 15_000;
    let got;
    while (!got) {
      got = await backend.encode(sig, feeds).catch(async (e: Error) => {
        if (!(e instanceof UnavailableError) || Date.now() > until) throw e;
        await new Promise((r) => setTimeout(r, 100));
        return undefined;
      });
    }
    expectOutputsClose(got, want);
  });
});
