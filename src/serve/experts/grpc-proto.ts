/** The ExpertShard gRPC service definition, loaded from expert-shard.proto next to this file. */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { fileURLToPath } from 'node:url';

export const EXPERT_SHARD_PROTO = fileURLToPath(new URL('./expert-shard.proto', import.meta.url));

export interface InfoReply {
  model: string;
  experts: number[];
  layers: number;
  dim: number;
  numExperts: number;
}
export interface RunRequest {
  layer: number;
  expert: number;
  rows: number;
  input: Buffer;
}
export interface RunReply {
  output: Buffer;
}

let service: grpc.ServiceDefinition | undefined;

/** The service definition (parsed once). */
export function expertShardService(): grpc.ServiceDefinition {
  if (!service) {
    const def = protoLoader.loadSync(EXPERT_SHARD_PROTO, { keepCase: false, longs: Number, enums: String, defaults: true, oneofs: true });
    const pkg = grpc.loadPackageDefinition(def) as unknown as { mixmodal: { experts: { v1: { ExpertShard: grpc.ServiceClientConstructor } } } };
    service = pkg.mixmodal.experts.v1.ExpertShard.service;
  }
  return service;
}

/** Messages up to 256 MiB (a block of a large model's tokens can exceed gRPC's 4 MiB default). */
export const MAX_MESSAGE_BYTES = 256 * 1024 * 1024;

/** Float32 view of a message's bytes (copied when unaligned). */
export function floatsOf(b: Uint8Array): Float32Array {
  if (b.byteOffset % 4 === 0) return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
  const copy = new Uint8Array(b.byteLength); // Buffer#slice would be a view, not a copy
  copy.set(b);
  return new Float32Array(copy.buffer);
}

/** The bytes of a float array (no copy). */
export function bytesOf(x: Float32Array): Buffer {
  return Buffer.from(x.buffer, x.byteOffset, x.byteLength);
}
