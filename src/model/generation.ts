/**
 * Text generation with a KV cache: all rows are prefilled with their
 * prompts in one step (prompts may differ in length), then decode together
 * one token per step. The loop — greedy or sampled, EOS, max length — runs
 * in TypeScript between steps.
 */
import { emitModel } from '../graph/emit-onnx.js';
import type { HostTensor } from '../graph/host-tensor.js';
import { Random } from '../graph/random.js';
import { paramsFor } from '../runtime/export-onnx.js';
import { Session, type SessionOptions } from '../runtime/session.js';
import { DecoderStepper } from './decoder-batch.js';
import { buildDecoderGraphs } from './generation-graphs.js';
import { sampleToken, type SamplingOptions } from './sampling.js';
import type { TextDecoderConfig } from './text-decoder.js';

export { buildDecoderGraphs, cacheNames } from './generation-graphs.js';

export interface GenerateOptions extends SamplingOptions {
  /** Most new tokens per row (default 32). */
  maxNewTokens?: number;
  /** Token id that ends a row (not included in the output). */
  eosId?: number;
  /** Seed of the sampling generator (default 0). */
  seed?: number;
}

export class Generator {
  private constructor(
    readonly cfg: TextDecoderConfig,
    readonly stepper: DecoderStepper,
  ) {}

  /** Compiles both graphs with the decoder's parameters baked in. */
  static async create(cfg: TextDecoderConfig, params: ReadonlyMap<string, HostTensor>, o: SessionOptions & { scope?: string } = {}): Promise<Generator> {
    const { memory, step } = buildDecoderGraphs(cfg, o.scope);
    const shape = { layers: cfg.layers, heads: cfg.heads, headDim: cfg.dim / cfg.heads, vocabSize: cfg.vocabSize, maxLen: cfg.maxLen };
    const stepper = new DecoderStepper(
      shape,
      await Session.create(emitModel(memory, { paramValues: paramsFor(memory, params) }), o),
      await Session.create(emitModel(step, { paramValues: paramsFor(step, params) }), o),
    );
    return new Generator(cfg, stepper);
  }

  /**
   * Continues each prompt conditioned on its row of `memory` [B, S, D];
   * returns the new token ids of each row, stopping at EOS.
   */
  async generate(memory: HostTensor, memoryMask: HostTensor, prompts: number[][], o: GenerateOptions = {}): Promise<number[][]> {
    const b = prompts.length;
    if (b === 0 || prompts.some((p) => p.length === 0)) throw new Error('generate needs at least one non-empty prompt per row');
    if (memory.shape[0] !== b) throw new Error(`memory batch ${memory.shape[0]} does not match ${b} prompts`);
    const maxNew = o.maxNewTokens ?? 32;
    const longest = Math.max(...prompts.map((p) => p.length));
    if (longest + maxNew > this.cfg.maxLen) throw new Error(`prompt (${longest}) + max new tokens (${maxNew}) exceeds the decoder's maxLen ${this.cfg.maxLen}`);
    const rng = new Random(o.seed ?? 0);
    const [, s, d] = memory.shape as [number, number, number];
    const mem = memory.data as Float32Array; // [B, S, D]
    const mask = memoryMask.data as Uint8Array; // [B, S]
    const rows = await this.stepper.newRows(prompts.map((_, i) => ({ memory: mem.subarray(i * s * d, (i + 1) * s * d), memLen: s, dim: d, memMask: mask.subarray(i * s, (i + 1) * s) })));
    let logits = await this.stepper.step(rows, prompts); // prefill, all rows in one run
    const out: number[][] = prompts.map(() => []);
    let active = [...rows.keys()];
    for (let t = 0; t < maxNew && active.length > 0; t++) {
      const next = active.map((r, i) => sampleToken(logits[i]!, o, rng));
      const still: number[] = [];
      const ids: number[][] = [];
      active.forEach((r, i) => {
        if (next[i] === o.eosId) return;
        out[r]!.push(next[i]!);
        still.push(r);
        ids.push([next[i]!]);
      });
      active = still;
      if (active.length === 0 || t === maxNew - 1) break;
      logits = await this.stepper.step(active.map((r) => rows[r]!), ids);
    }
    return out;
  }

  async release(): Promise<void> {
    await this.stepper.memorySession.release();
    await this.stepper.stepSession.release();
  }
}
