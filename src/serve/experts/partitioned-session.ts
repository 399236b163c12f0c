/**
 * Runs a partitioned graph (graph/partition.ts): one ONNX Runtime session
 * per segment; between segments the cut values go to a `remote` function
 * whose results feed the next segment.
 */
import type { HostTensor } from '../../graph/host-tensor.js';
import type { PartitionedGraph } from '../../graph/partition.js';
import { Session, type SessionOptions } from '../../runtime/session.js';

/** Computes the placeholder of cut `cut` from its cut value; `env` holds every value computed so far by name. */
export type RemoteFn = (cut: number, value: HostTensor, env: Readonly<Record<string, HostTensor>>) => Promise<HostTensor>;

export class PartitionedSession {
  private constructor(
    readonly graph: PartitionedGraph,
    readonly sessions: Session[],
  ) {}

  static async create(p: PartitionedGraph, o: SessionOptions = {}): Promise<PartitionedSession> {
    const sessions: Session[] = [];
    try {
      for (const seg of p.segments) sessions.push(await Session.create(seg.bytes, o));
    } catch (e) {
      for (const s of sessions) await s.release();
      throw e;
    }
    return new PartitionedSession(p, sessions);
  }

  /** Runs every segment in order; resolves to the final outputs (cut values and carries left out). */
  async run(feeds: Record<string, HostTensor>, remote: RemoteFn): Promise<Record<string, HostTensor>> {
    const env: Record<string, HostTensor> = { ...feeds };
    for (const [s, session] of this.sessions.entries()) {
      Object.assign(env, await session.run(env));
      const cut = this.graph.cuts[s];
      if (cut) env[cut.placeholder] = await remote(s, env[cut.output]!, env);
    }
    return Object.fromEntries(this.graph.finalOutputs.map((name) => [name, env[name]!]));
  }

  async release(): Promise<void> {
    for (const s of this.sessions) await s.release();
  }
}
