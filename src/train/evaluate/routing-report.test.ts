import { describe, expect, it } from 'vitest';
import type { HostTensor } from '../../graph/host-tensor.js';
import { loadModelConfig } from '../../model/config.js';
import { RoutingAccumulator } from './routing-report.js';

const cfg = loadModelConfig('mm-tiny'); // 4 experts, top-2, token choice
const i64 = (shape: number[], xs: number[]): HostTensor => ({ dtype: 'int64', shape, data: BigInt64Array.from(xs.map(BigInt)) });
const mask = (xs: number[]): HostTensor => ({ dtype: 'bool', shape: [1, xs.length], data: Uint8Array.from(xs) });

describe('RoutingAccumulator', () => {
  it('sums per-expert, dropped and modality × expert counts over batches', () => {
    const acc = new RoutingAccumulator(cfg);
    // batch 1: 3 real tokens (text 1, image 2) → 6 assignments, 1 dropped
    acc.add({
      fused_mask: mask([1, 1, 1, 0]),
      'moe.0.tokens_per_expert': i64([4], [3, 1, 1, 0]),
      'moe.0.dropped': i64([], [1]),
      'moe.0.tokens_per_modality_expert': i64([4, 4], [1, 1, 0, 0, 2, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
    });
    // batch 2: 2 real audio tokens → 4 assignments, none dropped
    acc.add({
      fused_mask: mask([1, 1]),
      'moe.0.tokens_per_expert': i64([4], [0, 0, 1, 3]),
      'moe.0.dropped': i64([], [0]),
      'moe.0.tokens_per_modality_expert': i64([4, 4], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 3, 0, 0, 0, 0]),
    });
    const r = acc.report();
    expect(r).toMatchObject({ modalities: ['text', 'image', 'audio', 'video'], experts: 4, topK: 2, routing: 'token-choice', batches: 2, tokens: 5 });
    expect(r.layers).toEqual([
      {
        layer: 0,
        tokensPerExpert: [3, 1, 2, 3],
        assignments: 9,
        dropped: 1,
        droppedRate: 0.1,
        busiestExpert: 0,
        busiestShare: 3 / 9,
        modalityExpert: [
          [1, 1, 0, 0],
          [2, 0, 1, 0],
          [0, 0, 1, 3],
          [0, 0, 0, 0],
        ],
      },
    ]);
    expect(r.layers[0]!.assignments + r.layers[0]!.dropped).toBe(r.topK * r.tokens);
  });

  it('reports no layers before any batch', () => {
    expect(new RoutingAccumulator(cfg).report()).toMatchObject({ batches: 0, tokens: 0, layers: [] });
  });
});
