/**
 * Expert parallelism. `mixmodal serve --expert-shards host:port,…` loads
 * `createShardedBackend` (engine-api.ts's ShardedBackendFactory): the dense
 * parts run in the server on the local backend's weights, the experts on
 * gRPC shards (`mixmodal expert-shard`). Worker-thread shards
 * (`workerShards`) are the embedded default for a single host.
 */
import type { HostTensor } from '../../graph/host-tensor.js';
import type { InferenceBackend, ShardedBackendFactory } from '../engine-api.js';
import { moeLayerPaths } from './expert-runner.js';
import { connectGrpcShards } from './grpc-shard-client.js';
import { ShardedBackend } from './sharded-backend.js';

export { ExpertRunner, buildExpertGraph, expertParams, moeLayerPaths, ExpertRequestError } from './expert-runner.js';
export { expertOwners, parseExpertList, splitExperts, type ExpertPlacement, type ExpertTransport, type ShardInfo } from './expert-transport.js';
export { GrpcShardClient, connectGrpcShards, parseShardAddresses, type GrpcShardClientOptions } from './grpc-shard-client.js';
export { GrpcShardServer, type GrpcShardServerOptions } from './grpc-shard-server.js';
export { EXPERT_SHARD_PROTO } from './grpc-proto.js';
export { PartitionedSession, type RemoteFn } from './partitioned-session.js';
export { ShardedBackend, type ShardedBackendOptions } from './sharded-backend.js';
export { WorkerShard, workerShards, type WorkerShardOptions } from './worker-shard.js';
export { loadModelSource, type ModelSource } from './model-source.js';
export { randomModelParams } from '../../model/inference-graphs.js';

/**
 * The weights of a local backend. LocalBackend keeps them in its
 * ModelRuntime; a backend may also expose `params` directly.
 */
function weightsOf(local: InferenceBackend): ReadonlyMap<string, HostTensor> {
  const b = local as unknown as { params?: ReadonlyMap<string, HostTensor>; runtime?: { params?: ReadonlyMap<string, HostTensor> } };
  const params = b.params ?? b.runtime?.params;
  if (!params) throw new Error('--expert-shards: the local backend does not expose its weights (expected a `params` map or a ModelRuntime `runtime`)');
  return params;
}

export const createShardedBackend: ShardedBackendFactory = async ({ local, shards }) => {
  const cfg = local.cfg;
  const placements = await connectGrpcShards(shards, { model: cfg.core.name, dim: cfg.core.dim, numExperts: cfg.fusion.moe.numExperts, layers: moeLayerPaths(cfg).length });
  try {
    // the local backend's session options (--threads, no spinning)
    return new ShardedBackend({ cfg, params: weightsOf(local), shards: placements, modelVersion: local.modelVersion, local, sessionOptions: local.sessionOptions });
  } catch (e) {
    for (const p of placements) await p.transport.close();
    throw e;
  }
};
