import { describe, expect, it } from 'vitest';
import { emitModel } from '../graph/emit-onnx.js';
import { Graph } from '../graph/graph.js';
import type { HostTensor } from '../graph/host-tensor.js';
import { initParams } from '../runtime/init-params.js';
import { Session } from '../runtime/session.js';
import { countWork } from '../runtime/work-counter.js';
import { argmax } from './sampling.js';
import { buildDecoderGraphs, cacheNames, Generator } from './generation.js';
import { TextDecoder, type TextDecoderConfig } from './text-decoder.js';

const cfg: TextDecoderConfig = { vocabSize: 50, dim: 16, heads: 2, layers: 2, maxLen: 64, memoryDim: 12 };
const B = 2;
const S = 5;

/** The teacher-forced decoder graph (no cache), its parameters, and random memory. */
function setup() {
  const g = new Graph('decoder-full');
  const ids = g.input('ids', 'int64', ['batch', 'seq']);
  const memory = g.input('memory', 'float32', ['batch', 'mem', 12]);
  const memoryMask = g.input('memory_mask', 'bool', ['batch', 'mem']);
  g.output('logits', new TextDecoder(g, 'decoder', cfg).apply(ids, memory, memoryMask)); // [B, T, V]
  const params = initParams(g, 4);
  const mem: HostTensor = { dtype: 'float32', shape: [B, S, 12], data: Float32Array.from({ length: B * S * 12 }, (_, i) => Math.sin(i * 0.37) * 2) };
  const mask: HostTensor = { dtype: 'bool', shape: [B, S], data: Uint8Array.from([1, 1, 1, 1, 1, 1, 1, 1, 0, 0]) };
  return { g, params, mem, mask };
}

const ids = (rows: number[][]): HostTensor => ({ dtype: 'int64', shape: [rows.length, rows[0]!.length], data: BigInt64Array.from(rows.flat().map(BigInt)) });

describe('text generation with a KV cache', () => {
  it('greedy decoding with the cache gives exactly the tokens of uncached decoding', async () => {
    const { g, params, mem, mask } = setup();
    const full = await Session.create(emitModel(g, { paramValues: params }));
    const prompts = [
      [1, 7, 3],
      [4, 4, 9],
    ];
    const steps = 12;
    // Uncached: rerun the whole prefix each step and take the last position.
    const seqs = prompts.map((p) => [...p]);
    for (let t = 0; t < steps; t++) {
      const { logits } = await full.run({ ids: ids(seqs), memory: mem, memory_mask: mask });
      const z = logits!.data as Float32Array;
      const len = seqs[0]!.length;
      seqs.forEach((s, b) => s.push(argmax(z.subarray((b * len + len - 1) * cfg.vocabSize, (b * len + len) * cfg.vocabSize))));
    }
    const gen = await Generator.create(cfg, params);
    const cached = await gen.generate(mem, mask, prompts, { maxNewTokens: steps });
    expect(cached).toEqual(seqs.map((s) => s.slice(3)));
    expect(new Set(cached.flat()).size).toBeGreaterThan(1); // not a degenerate constant output
    await gen.release();
    await full.release();
  });

  it('per-token work stays flat with the cache and grows with the prefix without it (counted FLOPs)', async () => {
    const { g, params, mem, mask } = setup();
    const fullModel = emitModel(g, { paramValues: params });
    const { step } = buildDecoderGraphs(cfg);
    const stepModel = emitModel(step, { paramValues: new Map([...step.params.keys()].map((k) => [k, params.get(k)!])) });
    const dh = cfg.dim / cfg.heads;
    const work = async (prefix: number) => {
      const uncached = await countWork(fullModel, { ids: ids([Array(prefix + 1).fill(1), Array(prefix + 1).fill(2)]), memory: mem, memory_mask: mask });
      const feeds: Record<string, HostTensor> = {
        ids: ids([[1], [2]]),
        positions: ids([[prefix], [prefix]]),
        past_mask: { dtype: 'bool', shape: [B, prefix], data: new Uint8Array(B * prefix).fill(1) },
        memory_mask: mask,
      };
      for (let i = 0; i < cfg.layers; i++) {
        const n = cacheNames(i);
        const zeros = (len: number): HostTensor => ({ dtype: 'float32', shape: [B, cfg.heads, len, dh], data: new Float32Array(B * cfg.heads * len * dh) });
        feeds[n.pastK] = feeds[n.pastV] = zeros(prefix);
        feeds[n.memK] = feeds[n.memV] = zeros(S);
      }
      const cached = await countWork(stepModel, feeds);
      return { uncached: uncached.matmulFlops, cached: cached.matmulFlops };
    };
    const short = await work(8);
    const long = await work(32);
    console.log(`work per token: prefix 8 → cached ${short.cached}, uncached ${short.uncached}; prefix 32 → cached ${long.cached}, uncached ${long.uncached}`);
    // Uncached: every layer reprocesses the whole prefix → ~4× the work for 4× the prefix.
    expect(long.uncached / short.uncached).toBeGreaterThan(3);
    // Cached: only the attention scores over the cache grow; projections and MLPs stay constant.
    expect(long.cached / short.cached).toBeLessThan(1.25);
    expect(long.cached).toBeLessThan(long.uncached / 10);
  });

  it('rows with prompts of different lengths decode together exactly as each would alone', async () => {
    const { params, mem, mask } = setup();
    const gen = await Generator.create(cfg, params);
    const prompts = [[1, 7, 3, 8, 8], [4]];
    const together = await gen.generate(mem, mask, prompts, { maxNewTokens: 8 });
    for (let b = 0; b < B; b++) {
      const one = (t: HostTensor, width: number): HostTensor => ({ ...t, shape: [1, ...t.shape.slice(1)], data: (t.data as Float32Array).slice(b * width, (b + 1) * width) as never });
      const alone = await gen.generate(one(mem, S * 12), one(mask, S), [prompts[b]!], { maxNewTokens: 8 });
      expect(together[b]).toEqual(alone[0]);
    }
    await gen.release();
  });

  it('stops a row at EOS and keeps generating the others', async () => {
    const { params, mem, mask } = setup();
    const gen = await Generator.create(cfg, params);
    const free = await gen.generate(mem, mask, [[1, 7, 3], [4, 4, 9]], { maxNewTokens: 6 });
    const eos = free[0]![2]!; // row 0's third token becomes EOS
    const stopped = await gen.generate(mem, mask, [[1, 7, 3], [4, 4, 9]], { maxNewTokens: 6, eosId: eos });
    expect(stopped[0]).toEqual(free[0]!.slice(0, free[0]!.indexOf(eos)));
    expect(stopped[1]!.length).toBeGreaterThan(0);
    await expect(gen.generate(mem, mask, [[1], [2]], { maxNewTokens: 100 })).rejects.toThrow(/maxLen/);
    await gen.release();
  });
});

