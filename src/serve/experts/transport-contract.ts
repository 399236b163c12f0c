/**
 * The contract every ExpertTransport meets, run by each implementation's
 * test (worker-shard.test.ts, grpc-shard.test.ts): the outputs equal the
 * shard's ExpertRunner run in-process; bad requests are errors but not
 * UnavailableError; a dead shard is UnavailableError; a restarted shard
 * serves again through the same transport.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../../graph/random.js';
import { UnavailableError } from '../engine-api.js';
import { ExpertRunner } from './expert-runner.js';
import type { ExpertTransport } from './expert-transport.js';
import { tinyCfg, tinyParams } from './test-helpers.js';

export interface TransportFixture {
  transport: ExpertTransport;
  /** Experts the transport serves. */
  experts: number[];
  /** True when the transport replaces a dead shard by itself (worker threads); then only calls in flight fail. */
  restartsItself?: boolean;
  /** Makes the shard die abruptly. */
  kill(): Promise<void>;
  /** Brings the shard back (same address); resolves once it can serve. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

function block(rows: number, seed: number): Float32Array {
  const rng = new Random(seed);
  return Float32Array.from({ length: rows * tinyCfg.core.dim }, () => rng.normal());
}

/** Retries `fn` until it succeeds (a reconnecting channel) or `ms` pass. */
export async function eventually<T>(fn: () => Promise<T>, ms = 10_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      if (Date.now() > until) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

export function describeExpertTransportContract(name: string, setup: () => Promise<TransportFixture>): void {
  describe(`ExpertTransport contract: ${name}`, () => {
    let f: TransportFixture;
    let reference: ExpertRunner;
    beforeAll(async () => {
      f = await setup();
      reference = new ExpertRunner(tinyCfg, tinyParams, f.experts, { threads: 1 });
    });
    afterAll(async () => {
      await f?.close();
      await reference?.close();
    });

    it('gives the in-process runner’s outputs for every owned expert of every layer, calls in parallel', async () => {
      const calls = reference.layers.flatMap((_, layer) =>
        f.experts.map(async (e) => {
          const rows = 3 + layer + e;
          const x = block(rows, 100 * layer + e);
          const want = await reference.run(layer, e, x.slice(), rows);
          const got = await f.transport.run(layer, e, x.slice(), rows);
          expect(got.length).toBe(rows * tinyCfg.core.dim);
          got.forEach((v, i) => expect(Math.abs(v - want[i]!)).toBeLessThanOrEqual(1e-6));
        }),
      );
      await Promise.all(calls);
    });

    it('answers an empty block with an empty block', async () => {
      expect((await f.transport.run(0, f.experts[0]!, new Float32Array(0), 0)).length).toBe(0);
    });

    it('rejects an expert it does not serve as an error that is not UnavailableError', async () => {
      const other = Array.from({ length: tinyCfg.fusion.moe.numExperts }, (_, e) => e).find((e) => !f.experts.includes(e))!;
      const err = await f.transport.run(0, other, block(1, 1), 1).catch((e: Error) => e);
      expect(err).toBeInstanceOf(Error);
      expect(err).not.toBeInstanceOf(UnavailableError);
      expect((err as Error).message).toMatch(/does not serve expert/);
    });

    it('a dead shard gives UnavailableError; once it is back the same transport serves again', async () => {
      const inFlight = f.transport.run(0, f.experts[0]!, block(64, 2), 64).catch((e: Error) => e);
      await f.kill();
      expect(await inFlight).toBeInstanceOf(UnavailableError);
      if (!f.restartsItself) {
        const err = await f.transport.run(0, f.experts[0]!, block(2, 2), 2).catch((e: Error) => e);
        expect(err).toBeInstanceOf(UnavailableError);
      }
      await f.restart();
      const x = block(2, 3);
      const want = await reference.run(1, f.experts[0]!, x.slice(), 2);
      const got = await eventually(() => f.transport.run(1, f.experts[0]!, x.slice(), 2));
      got.forEach((v, i) => expect(Math.abs(v - want[i]!)).toBeLessThanOrEqual(1e-6));
    });
  });
}
