/**
 * The gateway's side of a gRPC expert shard. Every call has a deadline; a
 * shard that is down (UNAVAILABLE), too slow (DEADLINE_EXCEEDED) or gone
 * mid-call (CANCELLED) rejects with UnavailableError, which the HTTP layer
 * turns into a 503. The channel reconnects by itself when the shard returns
 * (backoff capped low so recovery takes at most about a second).
 */
import * as grpc from '@grpc/grpc-js';
import { UnavailableError } from '../engine-api.js';
import type { ExpertPlacement, ExpertTransport, ShardInfo } from './expert-transport.js';
import { bytesOf, expertShardService, floatsOf, MAX_MESSAGE_BYTES, type InfoReply, type RunReply, type RunRequest } from './grpc-proto.js';

export interface GrpcShardClientOptions {
  /** Deadline of one Run call, ms (default 10 000). */
  deadlineMs?: number;
  /** Longest wait between reconnection attempts, ms (default 1000). */
  maxReconnectBackoffMs?: number;
}

type Unary<Req, Res> = (req: Req, meta: grpc.Metadata, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res?: Res) => void) => grpc.ClientUnaryCall;

const UNAVAILABLE_CODES = new Set([grpc.status.UNAVAILABLE, grpc.status.DEADLINE_EXCEEDED, grpc.status.CANCELLED]);

export class GrpcShardClient implements ExpertTransport {
  readonly label: string;
  private readonly client: grpc.Client;

  constructor(
    readonly address: string,
    readonly o: GrpcShardClientOptions = {},
  ) {
    this.label = `gRPC shard ${address}`;
    const Ctor = grpc.makeGenericClientConstructor(expertShardService(), 'ExpertShard');
    this.client = new Ctor(address, grpc.credentials.createInsecure(), {
      'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
      'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': o.maxReconnectBackoffMs ?? 1000,
      'grpc.keepalive_time_ms': 10_000,
      'grpc.keepalive_timeout_ms': 5_000,
    });
  }

  /** What the shard serves. */
  async info(deadlineMs = this.o.deadlineMs ?? 10_000): Promise<ShardInfo> {
    return this.call<object, InfoReply>('info', {}, deadlineMs);
  }

  async run(layer: number, expert: number, input: Float32Array, rows: number): Promise<Float32Array> {
    const reply = await this.call<RunRequest, RunReply>('run', { layer, expert, rows, input: bytesOf(input) }, this.o.deadlineMs ?? 10_000);
    const out = floatsOf(reply.output);
    if (out.length !== input.length) throw new Error(`${this.label} returned ${out.length} floats for ${input.length}`);
    return out;
  }

  async close(): Promise<void> {
    this.client.close();
  }

  private call<Req, Res>(method: 'info' | 'run', req: Req, deadlineMs: number): Promise<Res> {
    const fn = (this.client as unknown as Record<string, Unary<Req, Res>>)[method]!.bind(this.client);
    return new Promise<Res>((resolve, reject) => {
      fn(req, new grpc.Metadata(), { deadline: Date.now() + deadlineMs }, (err, res) => {
        if (!err) return resolve(res!);
        if (UNAVAILABLE_CODES.has(err.code)) reject(new UnavailableError(`expert shard ${this.address} is unavailable: ${err.details || grpc.status[err.code]}`));
        else reject(new Error(`expert shard ${this.address}: ${err.details || grpc.status[err.code]}`));
      });
    });
  }
}

/** Parses `host:port,host:port` (the `--expert-shards` option). */
export function parseShardAddresses(spec: string): string[] {
  const out = spec.split(',').map((s) => s.trim()).filter(Boolean);
  if (out.length === 0) throw new Error('--expert-shards: expected host:port[,host:port…]');
  for (const a of out) if (!/^[^\s:]+:\d{1,5}$/.test(a) && !/^\[[0-9a-fA-F:]+\]:\d{1,5}$/.test(a)) throw new Error(`--expert-shards: '${a}' is not host:port`);
  return out;
}

/**
 * Connects to gRPC shards and asks each what it serves; checks that they
 * serve `model` with width `dim` and `numExperts` experts. Shards that are
 * still starting are waited for up to `waitMs`.
 */
export async function connectGrpcShards(
  addresses: readonly string[],
  expect: { model: string; dim: number; numExperts: number; layers: number },
  o: GrpcShardClientOptions & { waitMs?: number } = {},
): Promise<ExpertPlacement[]> {
  const clients = addresses.map((a) => new GrpcShardClient(a, o));
  try {
    return await Promise.all(
      clients.map(async (c) => {
        const info = await infoWithRetry(c, o.waitMs ?? 10_000);
        const bad = (['model', 'dim', 'numExperts', 'layers'] as const).filter((k) => info[k] !== expect[k]);
        if (bad.length > 0) {
          throw new Error(`${c.label} serves ${bad.map((k) => `${k} ${info[k]}`).join(', ')}, but this server's model has ${bad.map((k) => `${k} ${expect[k]}`).join(', ')}`);
        }
        return { transport: c, experts: info.experts };
      }),
    );
  } catch (e) {
    for (const c of clients) await c.close();
    throw e;
  }
}

async function infoWithRetry(c: GrpcShardClient, waitMs: number): Promise<ShardInfo> {
  const until = Date.now() + waitMs;
  for (;;) {
    try {
      return await c.info(Math.max(500, Math.min(5000, until - Date.now())));
    } catch (e) {
      if (!(e instanceof UnavailableError) || Date.now() >= until) throw e;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}
