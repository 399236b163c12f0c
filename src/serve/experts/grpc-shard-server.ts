/**
 * An expert shard as a gRPC server (`mixmodal expert-shard`): serves Info
 * and Run for the experts of an ExpertRunner. Errors in a call are returned
 * as gRPC statuses (INVALID_ARGUMENT for bad requests, INTERNAL otherwise);
 * the server keeps serving.
 */
import * as grpc from '@grpc/grpc-js';
import { ExpertRequestError, type ExpertRunner } from './expert-runner.js';
import { bytesOf, expertShardService, floatsOf, MAX_MESSAGE_BYTES, type InfoReply, type RunReply, type RunRequest } from './grpc-proto.js';

export interface GrpcShardServerOptions {
  /** Interface to bind (default 127.0.0.1). */
  host?: string;
  /** Port (default 0: any free port; read `port` after start). */
  port?: number;
}

export class GrpcShardServer {
  private constructor(
    private readonly server: grpc.Server,
    readonly host: string,
    readonly port: number,
  ) {}

  get address(): string {
    return `${this.host}:${this.port}`;
  }

  static async start(runner: ExpertRunner, o: GrpcShardServerOptions = {}): Promise<GrpcShardServer> {
    const host = o.host ?? '127.0.0.1';
    const server = new grpc.Server({ 'grpc.max_receive_message_length': MAX_MESSAGE_BYTES, 'grpc.max_send_message_length': MAX_MESSAGE_BYTES });
    server.addService(expertShardService(), {
      info(_call: grpc.ServerUnaryCall<object, InfoReply>, cb: grpc.sendUnaryData<InfoReply>) {
        cb(null, runner.info);
      },
      run(call: grpc.ServerUnaryCall<RunRequest, RunReply>, cb: grpc.sendUnaryData<RunReply>) {
        const { layer, expert, rows, input } = call.request;
        runner.run(layer, expert, floatsOf(input), rows).then(
          (out) => cb(null, { output: bytesOf(out) }),
          (e: Error) => cb({ code: e instanceof ExpertRequestError ? grpc.status.INVALID_ARGUMENT : grpc.status.INTERNAL, details: e.message }),
        );
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(`${host}:${o.port ?? 0}`, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    return new GrpcShardServer(server, host, port);
  }

  /** Stops accepting calls and waits (up to `graceMs`) for the ones in flight, then cuts the rest. */
  async close(graceMs = 2000): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, graceMs);
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Drops every connection at once (a shard dying). */
  kill(): void {
    this.server.forceShutdown();
  }
}
