/**
 * Text generation with a KV cache. Two graphs per decoder: `memory` projects
 * the fused multimodal tokens into every block's cross-attention keys/values
 * once; `step` takes new token ids and the cache and returns the last
 * position's logits and the extended cache. The loop (greedy or sampled,
 * EOS, stop ids, max length) runs in TypeScript between steps.
 */
import * as ort from 'onnxruntime-node';
import { emitModel } from '../graph/emit-onnx.js';
import { Graph } from '../graph/graph.js';
import type { HostTensor } from '../graph/host-tensor.js';
import * as op from '../graph/ops/index.js';
import { Random } from '../graph/random.js';
import { paramsFor } from '../runtime/export-onnx.js';
import { Session, toOrtTensor, type SessionOptions } from '../runtime/session.js';
import { sampleToken, type SamplingOptions } from './sampling.js';
import { TextDecoder, type TextDecoderConfig } from './text-decoder.js';

export interface GenerateOptions extends SamplingOptions {
  /** Most new tokens per row (default 32). */
  maxNewTokens?: number;
  /** Token id that ends a row (not included in the output). */
  eosId?: number;
  /** Seed of the sampling generator (default 0). */
  seed?: number;
}

/** Names of the decoder graphs' inputs and outputs for layer i. */
export const cacheNames = (i: number) => ({ pastK: `past_k.${i}`, pastV: `past_v.${i}`, presentK: `present_k.${i}`, presentV: `present_v.${i}`, memK: `mem_k.${i}`, memV: `mem_v.${i}` });

/** Traces the memory-projection and step graphs of a decoder whose parameters live under `scope`. */
export function buildDecoderGraphs(cfg: TextDecoderConfig, scope = 'decoder'): { memory: Graph; step: Graph } {
  const dh = cfg.dim / cfg.heads;
  const memory = new Graph('decoder-memory');
  const mem = memory.input('memory', 'float32', ['batch', 'mem', cfg.memoryDim ?? cfg.dim]);
  new TextDecoder(memory, scope, cfg).projectMemory(mem).forEach((kv, i) => {
    memory.output(cacheNames(i).memK, kv.k); // [B, H, S, d_h]
    memory.output(cacheNames(i).memV, kv.v); // [B, H, S, d_h]
  });

  const step = new Graph('decoder-step');
  const ids = step.input('ids', 'int64', ['batch', 'new']);
  const memoryMask = step.input('memory_mask', 'bool', ['batch', 'mem']);
  const layerInputs = Array.from({ length: cfg.layers }, (_, i) => {
    const n = cacheNames(i);
    return {
      past: { k: step.input(n.pastK, 'float32', ['batch', cfg.heads, 'past', dh]), v: step.input(n.pastV, 'float32', ['batch', cfg.heads, 'past', dh]) },
      mem: { k: step.input(n.memK, 'float32', ['batch', cfg.heads, 'mem', dh]), v: step.input(n.memV, 'float32', ['batch', cfg.heads, 'mem', dh]) },
    };
  });
  const dec = new TextDecoder(step, scope, cfg);
  const r = dec.applyCached(ids, layerInputs.map((l) => l.past), layerInputs.map((l) => l.mem), memoryMask);
  step.output('logits', op.squeeze(op.slice(r.logits, [-1], [2 ** 31 - 1], [1]), [1])); // [B, V] last position
  r.present.forEach((kv, i) => {
    step.output(cacheNames(i).presentK, kv.k); // [B, H, P + T_new, d_h]
    step.output(cacheNames(i).presentV, kv.v); // [B, H, P + T_new, d_h]
  });
  return { memory, step };
}

export class Generator {
  private constructor(
    readonly cfg: TextDecoderConfig,
    readonly memorySession: Session,
    readonly stepSession: Session,
  ) {}

  /** Compiles both graphs with the decoder's parameters baked in. */
  static async create(cfg: TextDecoderConfig, params: ReadonlyMap<string, HostTensor>, o: SessionOptions & { scope?: string } = {}): Promise<Generator> {
    const { memory, step } = buildDecoderGraphs(cfg, o.scope);
    return new Generator(
      cfg,
      await Session.create(emitModel(memory, { paramValues: paramsFor(memory, params) }), o),
      await Session.create(emitModel(step, { paramValues: paramsFor(step, params) }), o),
    );
  }

  /**
   * Continues each prompt (all of one length) conditioned on `memory`
   * [B, S, D]; returns the new token ids of each row, stopping at EOS.
   */
  async generate(memory: HostTensor, memoryMask: HostTensor, prompts: number[][], o: GenerateOptions = {}): Promise<number[][]> {
    const b = prompts.length;
    const len = prompts[0]?.length ?? 0;
    if (b === 0 || len === 0) throw new Error('generate needs at least one non-empty prompt');
    if (prompts.some((p) => p.length !== len)) throw new Error('prompts in one batch must have the same length');
    if (memory.shape[0] !== b) throw new Error(`memory batch ${memory.shape[0]} does not match ${b} prompts`);
    const maxNew = o.maxNewTokens ?? 32;
    if (len + maxNew > this.cfg.maxLen) throw new Error(`prompt (${len}) + max new tokens (${maxNew}) exceeds the decoder's maxLen ${this.cfg.maxLen}`);
    const rng = new Random(o.seed ?? 0);
    const mem = await this.memorySession.ort.run({ memory: toOrtTensor(memory) });
    const feeds: Record<string, ort.Tensor> = { memory_mask: toOrtTensor(memoryMask) };
    const dh = this.cfg.dim / this.cfg.heads;
    for (let i = 0; i < this.cfg.layers; i++) {
      const n = cacheNames(i);
      feeds[n.memK] = mem[n.memK] as ort.Tensor;
      feeds[n.memV] = mem[n.memV] as ort.Tensor;
      feeds[n.pastK] = feeds[n.pastV] = new ort.Tensor('float32', new Float32Array(0), [b, this.cfg.heads, 0, dh]);
    }
    const out: number[][] = prompts.map(() => []);
    const done = prompts.map(() => false);
    let next: number[][] = prompts;
    for (let t = 0; t < maxNew && done.includes(false); t++) {
      feeds.ids = new ort.Tensor('int64', BigInt64Array.from(next.flat().map(BigInt)), [b, next[0]!.length]);
      const r = await this.stepSession.ort.run(feeds);
      const logits = r.logits!.data as Float32Array;
      const v = this.cfg.vocabSize;
      next = prompts.map((_, row) => {
        const id = sampleToken(logits.subarray(row * v, (row + 1) * v), o, rng);
        if (!done[row]) {
          if (id === o.eosId) done[row] = true;
          else out[row]!.push(id);
        }
        return [id];
      });
      for (let i = 0; i < this.cfg.layers; i++) {
        const n = cacheNames(i);
        feeds[n.pastK] = r[n.presentK] as ort.Tensor;
        feeds[n.pastV] = r[n.presentV] as ort.Tensor;
      }
    }
    return out;
  }

  async release(): Promise<void> {
    await this.memorySession.release();
    await this.stepSession.release();
  }
}
