/**
 * The seam between the gateway (dense parts) and the expert shards: a
 * transport runs one expert of one MoE layer on a block of tokens. Two
 * implementations: worker threads in this process (worker-shard.ts, the
 * default) and gRPC to other processes or hosts (grpc-shard-client.ts).
 * A transport whose shard is gone rejects with UnavailableError.
 */

export interface ExpertTransport {
  /**
   * Runs expert `expert` of MoE layer `layer` (depth order among the MoE
   * layers) on `input` [rows, D] (row-major float32; its buffer may be
   * transferred, do not reuse it) and resolves to the output [rows, D].
   */
  run(layer: number, expert: number, input: Float32Array, rows: number): Promise<Float32Array>;
  /** A short name for errors and logs (e.g. `grpc 127.0.0.1:7001`). */
  readonly label: string;
  close(): Promise<void>;
}

/** What a shard serves (the gRPC Info call; worker shards know it up front). */
export interface ShardInfo {
  /** Model name (config core.name). */
  model: string;
  /** Experts of every MoE layer this shard owns. */
  experts: number[];
  /** Number of MoE layers. */
  layers: number;
  /** Model width D. */
  dim: number;
  /** Experts per MoE layer E. */
  numExperts: number;
}

/** A transport and the experts it owns (expert e of every MoE layer). */
export interface ExpertPlacement {
  transport: ExpertTransport;
  experts: number[];
}

/**
 * The owner of each expert 0..E−1; every expert must be owned by exactly
 * one placement (errors name the expert and the shards).
 */
export function expertOwners(placements: readonly ExpertPlacement[], numExperts: number): ExpertTransport[] {
  const owners: (ExpertTransport | undefined)[] = Array(numExperts).fill(undefined);
  for (const p of placements) {
    for (const e of p.experts) {
      if (!Number.isInteger(e) || e < 0 || e >= numExperts) throw new Error(`shard ${p.transport.label} claims expert ${e}, but the model has experts 0-${numExperts - 1}`);
      const prev = owners[e];
      if (prev) throw new Error(`expert ${e} is served by two shards: ${prev.label} and ${p.transport.label}`);
      owners[e] = p.transport;
    }
  }
  const missing = owners.flatMap((o, e) => (o ? [] : [e]));
  if (missing.length > 0) throw new Error(`no shard serves expert(s) ${missing.join(', ')} (of 0-${numExperts - 1})`);
  return owners as ExpertTransport[];
}

/** Parses an expert list like `0-3`, `0,2,5` or `0-1,4` into sorted unique ids. */
export function parseExpertList(spec: string): number[] {
  const out = new Set<number>();
  for (const part of spec.split(',').map((s) => s.trim())) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new Error(`bad expert list '${spec}': expected ids and ranges like 0-3 or 0,2,5`);
    const [a, b] = [Number(m[1]), Number(m[2] ?? m[1])];
    if (b < a) throw new Error(`bad expert range '${part}' in '${spec}': end before start`);
    for (let e = a; e <= b; e++) out.add(e);
  }
  return [...out].sort((x, y) => x - y);
}

/** Experts 0..E−1 split into `n` contiguous, nearly equal groups. */
export function splitExperts(numExperts: number, n: number): number[][] {
  if (!Number.isInteger(n) || n < 1 || n > numExperts) throw new Error(`cannot split ${numExperts} experts into ${n} shards`);
  return Array.from({ length: n }, (_, i) => {
    const [a, b] = [Math.floor((i * numExperts) / n), Math.floor(((i + 1) * numExperts) / n)];
    return Array.from({ length: b - a }, (_, j) => a + j);
  });
}
