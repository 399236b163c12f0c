import { describe, expect, it } from 'vitest';
import { emitModel } from '../graph/emit-onnx.js';
import { Graph } from '../graph/graph.js';
import type { HostTensor } from '../graph/host-tensor.js';
import type { Value } from '../graph/value.js';
import { initParams } from '../runtime/init-params.js';
import { Session, toOrtTensor as toOrt } from '../runtime/session.js';
import { MultiHeadAttention } from './attention.js';
import { TransformerBlock } from './transformer-block.js';

const B = 2;
const T = 4;
const D = 8;
const H = 2;

const f32 = (shape: number[], f: (i: number) => number): HostTensor => ({
  dtype: 'float32',
  shape,
  data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => f(i)),
});

async function run(g: Graph, params: Map<string, HostTensor>, feeds: Record<string, HostTensor>): Promise<Record<string, HostTensor>> {
  const s = await Session.create(emitModel(g, { paramValues: params }));
  const out = await s.run(feeds);
  await s.release();
  return out;
}

/** Plain TypeScript multi-head attention for one batch row, from the same parameters. */
function referenceAttention(p: Map<string, HostTensor>, x: Float32Array, b: number, causal: boolean, keep?: boolean[]): number[] {
  const lin = (name: string, row: number) => {
    const w = p.get(`attn.${name}.weight`)!.data as Float32Array;
    const bias = p.get(`attn.${name}.bias`)!.data as Float32Array;
    return Array.from({ length: D }, (_, o) => {
      let s = bias[o]!;
      for (let i = 0; i < D; i++) s += x[(b * T + row) * D + i]! * w[i * D + o]!;
      return s;
    });
  };
  const q = [...Array(T).keys()].map((t) => lin('q', t));
  const k = [...Array(T).keys()].map((t) => lin('k', t));
  const v = [...Array(T).keys()].map((t) => lin('v', t));
  const dh = D / H;
  const ctx = [...Array(T)].map(() => new Array<number>(D).fill(0));
  for (let h = 0; h < H; h++) {
    for (let i = 0; i < T; i++) {
      const scores = [...Array(T).keys()].map((j) => {
        if ((causal && j > i) || (keep && !keep[j])) return -Infinity;
        let s = 0;
        for (let d = 0; d < dh; d++) s += q[i]![h * dh + d]! * k[j]![h * dh + d]!;
        return s / Math.sqrt(dh);
      });
      const m = Math.max(...scores);
      const e = scores.map((s) => Math.exp(s - m));
      const z = e.reduce((a, c) => a + c, 0);
      for (let j = 0; j < T; j++) for (let d = 0; d < dh; d++) ctx[i]![h * dh + d] += (e[j]! / z) * v[j]![h * dh + d]!;
    }
  }
  const w = p.get('attn.out.weight')!.data as Float32Array;
  const bias = p.get('attn.out.bias')!.data as Float32Array;
  return ctx.flatMap((row) => Array.from({ length: D }, (_, o) => row.reduce((s, c, i) => s + c * w[i * D + o]!, bias[o]!)));
}

/** The attention kinds under test: [label, causal]. */
const KINDS: [string, boolean][] = [
  ['bidirectional with a key padding mask', false],
  ['causal', true],
];

/** Real keys of the B = 2 rows of T = 4 (false = padding), and as the `mask` feed. */
const KEEP = [true, true, false, true, true, true, true, false];
const KEEP_MASK: HostTensor = { dtype: 'bool', shape: [B, T], data: Uint8Array.from(KEEP.map(Number)) };

/** A graph with inputs x [batch, seq, D] and mask bool [batch, seq]; the mask is the key padding mask unless causal. */
function graphWithInputs(name: string, causal: boolean): { g: Graph; x: Value; keyPaddingMask?: Value } {
  const g = new Graph(name);
  const x = g.input('x', 'float32', ['batch', 'seq', D]);
  const mask = g.input('mask', 'bool', ['batch', 'seq']);
  return { g, x, keyPaddingMask: causal ? undefined : mask };
}

describe('MultiHeadAttention', () => {
  it.each(KINDS)('matches a TypeScript reference: %s', async (_, causal) => {
    const { g, x, keyPaddingMask } = graphWithInputs('attn', causal);
    const attn = new MultiHeadAttention(g, 'attn', { dim: D, heads: H });
    g.output('y', attn.apply(x, { causal, keyPaddingMask }));
    const params = initParams(g, 5);
    const xs = f32([B, T, D], (i) => Math.sin(i * 1.3));
    const out = await run(g, params, { x: xs, mask: KEEP_MASK });
    const y = out.y!.data as Float32Array;
    for (let b = 0; b < B; b++) {
      const ref = referenceAttention(params, xs.data as Float32Array, b, causal, causal ? undefined : KEEP.slice(b * T, b * T + T));
      ref.forEach((r, i) => expect(y[b * T * D + i]).toBeCloseTo(r, 5));
    }
  });

  it.each(KINDS)('a block with queryRows gives the first rows of the full pass (keys and values still from every row): %s', async (_, causal) => {
    const { g, x, keyPaddingMask } = graphWithInputs('rows', causal);
    const block = new TransformerBlock(g, 'block', { dim: D, heads: H, causal });
    g.output('full', block.apply(x, { keyPaddingMask }));
    g.output('first', block.apply(x, { keyPaddingMask, queryRows: 2 })); // [B, 2, D]
    expect([...g.params.keys()].every((k) => k.startsWith('block.'))).toBe(true); // one set of weights for both
    const params = initParams(g, 6);
    const out = await run(g, params, { x: f32([B, T, D], (i) => Math.cos(i * 0.9)), mask: KEEP_MASK });
    const full = out.full!.data as Float32Array;
    const got = out.first!.data as Float32Array;
    expect(out.first!.shape).toEqual([B, 2, D]);
    for (let b = 0; b < B; b++) for (let i = 0; i < 2 * D; i++) expect(got[b * 2 * D + i]).toBeCloseTo(full[b * T * D + i]!, 5);
  });

  it('a decoder block with a KV cache gives the same outputs step by step as in one causal pass', async () => {
    const g = new Graph('dec');
    const x = g.input('x', 'float32', ['batch', 'seq', D]);
    const mem = g.input('mem', 'float32', ['batch', 3, 6]);
    const block = new TransformerBlock(g, 'block', { dim: D, heads: H, causal: true, crossAttention: true, memoryDim: 6 });
    g.output('full', block.apply(x, { memory: mem }));
    const xt = g.input('xt', 'float32', ['batch', 1, D]);
    const pastK = g.input('past_k', 'float32', ['batch', H, 'past', D / H]);
    const pastV = g.input('past_v', 'float32', ['batch', H, 'past', D / H]);
    const step = block.applyCached(xt, { k: pastK, v: pastV }, { memory: block.cross!.projectKeyValues(mem) });
    g.output('step', step.y);
    g.output('present_k', step.present.k);
    g.output('present_v', step.present.v);
    const params = initParams(g, 9);
    const s = await Session.create(emitModel(g, { paramValues: params }));
    const xs = f32([1, T, D], (i) => Math.cos(i * 0.7));
    const ms = f32([1, 3, 6], (i) => Math.sin(i));
    const fullOut = await s.ort.run({ x: toOrt(xs), mem: toOrt(ms), xt: toOrt(f32([1, 1, D], () => 0)), past_k: toOrt(f32([1, H, 0, D / H], () => 0)), past_v: toOrt(f32([1, H, 0, D / H], () => 0)) }, ['full']);
    const full = fullOut.full!.data as Float32Array;
    let k = f32([1, H, 0, D / H], () => 0);
    let v = f32([1, H, 0, D / H], () => 0);
    for (let t = 0; t < T; t++) {
      const xt1 = f32([1, 1, D], (i) => (xs.data as Float32Array)[t * D + i]!);
      const r = await s.run({ x: xs, mem: ms, xt: xt1, past_k: k, past_v: v });
      const y = r.step!.data as Float32Array;
      for (let i = 0; i < D; i++) expect(y[i]).toBeCloseTo(full[t * D + i]!, 5);
      k = r.present_k!;
      v = r.present_v!;
      expect(k.shape).toEqual([1, H, t + 1, D / H]);
    }
    await s.release();
  });
});
