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
        new_mask: { dtype: 'bool', shape: [B, 1], data: new Uint8Array(B).fill(1) },
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

  it('a padded step (prompts of different lengths, a decoding row beside prefilling ones) gives each row its logits alone, in one run', async () => {
    const { params } = setup();
    const gen = await Generator.create(cfg, params);
    const st = gen.stepper;
    let runs = 0;
    const run = st.stepSession.ort.run.bind(st.stepSession.ort);
    st.stepSession.ort.run = ((...a: Parameters<typeof run>) => (runs++, run(...a))) as typeof run;
    // Memories of different lengths (3, 5, 2 positions of width 12), one with a masked position.
    const memOf = (len: number, seed: number) => Float32Array.from({ length: len * 12 }, (_, i) => Math.sin((i + 1) * 0.37 * seed) * 2);
    const items = [
      { memory: memOf(3, 1), memLen: 3, dim: 12 },
      { memory: memOf(5, 2), memLen: 5, dim: 12, memMask: Uint8Array.from([1, 1, 0, 1, 1]) },
      { memory: memOf(2, 3), memLen: 2, dim: 12 },
    ];
    const prompts = [[1, 7, 3, 8, 8, 2], [4], [9, 5]];
    const steps = 5;
    // Alone: each row on its own, prefill then greedy steps.
    const alone: Float32Array[][] = [];
    for (let b = 0; b < 3; b++) {
      const [row] = await st.newRows([items[b]!]);
      let z = (await st.step([row!], [prompts[b]!]))[0]!;
      const seen = [Float32Array.from(z)];
      for (let t = 1; t < steps; t++) {
        z = (await st.step([row!], [[argmax(z)]]))[0]!;
        seen.push(Float32Array.from(z));
      }
      alone.push(seen);
    }
    // Together: rows 0 and 1 prefill in one run; row 2 joins a step later beside them (its 2-token prompt next to their 1 token).
    runs = 0;
    const rows = await st.newRows(items);
    const together: Float32Array[][] = [[], [], []];
    let z = await st.step([rows[0]!, rows[1]!], [prompts[0]!, prompts[1]!]);
    expect(runs).toBe(1);
    z.forEach((x, b) => together[b]!.push(Float32Array.from(x)));
    z = await st.step(rows, [[argmax(together[0]![0]!)], [argmax(together[1]![0]!)], prompts[2]!]);
    expect(runs).toBe(2);
    z.forEach((x, b) => together[b]!.push(Float32Array.from(x)));
    for (let t = 2; t < steps + 1; t++) {
      z = await st.step(rows, rows.map((_, b) => [argmax(together[b]!.at(-1)!)]));
      z.forEach((x, b) => together[b]!.push(Float32Array.from(x)));
    }
    expect(rows.map((r) => r.length)).toEqual([6 + steps, 1 + steps, 2 + steps - 1]);
    for (let b = 0; b < 3; b++) {
      for (let t = 0; t < steps; t++) {
        const got = together[b]![t]!;
        const want = alone[b]![t]!;
        expect(argmax(got)).toBe(argmax(want));
        for (let v = 0; v < want.length; v++) expect(Math.abs(got[v]! - want[v]!)).toBeLessThan(1e-5);
      }
    }
    await gen.release();
  });

  it('refuses a step past maxLen, an empty token list, or a row twice', async () => {
    const { params } = setup();
    const gen = await Generator.create(cfg, params);
    const [row] = await gen.stepper.newRows([{ memory: new Float32Array(24), memLen: 2, dim: 12 }]);
    await expect(gen.stepper.step([row!], [Array(65).fill(1)])).rejects.toThrow(/maxLen 64/);
    await expect(gen.stepper.step([row!], [[]])).rejects.toThrow(/non-empty/);
    await expect(gen.stepper.step([row!, row!], [[1], [1]])).rejects.toThrow(/twice/);
    await gen.release();
  });

  it('two batches stepped in turn keep their own stacked memories and caches (reused buffers are not shared)', async () => {
    const { params } = setup();
    const gen = await Generator.create(cfg, params);
    const st = gen.stepper;
    const item = (seed: number, len: number) => ({ memory: Float32Array.from({ length: len * 12 }, (_, i) => Math.cos((i + 1) * 0.21 * seed)), memLen: len, dim: 12 });
    const items = [item(1, 5), item(2, 2), item(3, 3), item(4, 4)]; // B's stacked memory fits in A's buffers: it overwrites them
    const prompts = [[1, 2], [3], [4, 5, 6], [7]];
    // Reference: each row alone, prefill and two greedy steps.
    const alone: Float32Array[][] = [];
    for (const [b, it] of items.entries()) {
      const [row] = await st.newRows([it]);
      const z0 = Float32Array.from((await st.step([row!], [prompts[b]!]))[0]!);
      const z1 = Float32Array.from((await st.step([row!], [[argmax(z0)]]))[0]!);
      const z2 = Float32Array.from((await st.step([row!], [[argmax(z1)]]))[0]!);
      alone.push([z0, z1, z2]);
    }
    // Rows from separate memory runs, so each batch stacks its memory; batches A and B alternate.
    const rows = [...(await st.newRows([items[0]!])), ...(await st.newRows([items[1]!])), ...(await st.newRows([items[2]!])), ...(await st.newRows([items[3]!]))];
    const a = [rows[0]!, rows[1]!];
    const b = [rows[2]!, rows[3]!];
    const seen: Float32Array[][] = [[], [], [], []];
    const stepBatch = async (batch: typeof rows, first: number, input: number[][]) =>
      (await st.step(batch, input)).forEach((z, i) => seen[first + i]!.push(Float32Array.from(z)));
    await stepBatch(a, 0, [prompts[0]!, prompts[1]!]);
    await stepBatch(b, 2, [prompts[2]!, prompts[3]!]);
    for (let t = 1; t < 3; t++) {
      await stepBatch(a, 0, [[argmax(seen[0]!.at(-1)!)], [argmax(seen[1]!.at(-1)!)]]); // the same rows as A's last run: fed its caches as they are
      await stepBatch(b, 2, [[argmax(seen[2]!.at(-1)!)], [argmax(seen[3]!.at(-1)!)]]);
    }
    for (let r = 0; r < 4; r++) {
      for (let t = 0; t < 3; t++) {
        for (let v = 0; v < cfg.vocabSize; v++) expect(Math.abs(seen[r]![t]![v]! - alone[r]![t]![v]!)).toBeLessThan(1e-5);
      }
    }
    await gen.release();
  });
});
