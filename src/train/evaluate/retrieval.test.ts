import { describe, expect, it } from 'vitest';
import { trainBpe } from '../../data/tokenizer/train-bpe.js';
import type { HostTensor } from '../../graph/host-tensor.js';
import { loadModelConfig } from '../../model/config.js';
import type { Modality } from '../../model/modalities.js';
import { mediaShape } from '../../model/model-inputs.js';
import type { DatasetExample } from '../dataset.js';
import type { EmbeddingModel } from './eval-runtime.js';
import { evaluateRetrieval, planRetrieval, retrievalRanks, summariseRanks } from './retrieval.js';

const cfg = loadModelConfig('mm-tiny');
const IMAGE = mediaShape(cfg, 'image').reduce((a, b) => a * b, 1);
const oneHot = (i: number, scale = 1) => Array.from({ length: 7 }, (_, j) => (j === i ? scale : 0));
const add = (a: number[], b: number[]) => a.map((x, i) => x + b[i]!);

/** Scene g's image embeds as e_g; its text as below, so the ranks are known by hand. */
const IMAGE_EMB = Array.from({ length: 7 }, (_, g) => oneHot(g));
const TEXT_EMB = [
  oneHot(0), //                         text→image rank 1
  add(oneHot(2), oneHot(1, 0.5)), //     rank 2 (closer to image 2)
  oneHot(2), //                         rank 1
  [1, 1, 1, 0.5, 1, 1, 1], //           rank 7 (every other image scores higher)
  oneHot(4), //                         rank 1
  add(oneHot(5, 0.5), oneHot(6)), //    rank 2
  [1, 1, 1, 1, 1, 1, 0.9], //           rank 7
];

/**
 * A fake embedding model: an image's first pixel holds its scene index; a
 * text's first token is 100 + scene index (token ids of the word "s<g>").
 */
class FakeEmbedder implements EmbeddingModel {
  readonly cfg = cfg;
  calls: Array<{ m: Modality; rows: number }> = [];
  constructor(private readonly textIdOf: Map<number, number>) {}
  async embed(signature: readonly Modality[], feeds: Record<string, HostTensor>): Promise<Record<string, HostTensor>> {
    expect(signature.length).toBe(1);
    const m = signature[0]!;
    const rows: number[][] = [];
    if (m === 'image') {
      const b = feeds.image!.shape[0]!;
      for (let r = 0; r < b; r++) rows.push(IMAGE_EMB[(feeds.image!.data as Float32Array)[r * IMAGE]!]!);
    } else if (m === 'text') {
      const [b, len] = feeds.text_ids!.shape as [number, number];
      for (let r = 0; r < b; r++) rows.push(TEXT_EMB[this.textIdOf.get(Number((feeds.text_ids!.data as BigInt64Array)[r * len]))!]!);
    } else throw new Error(`unexpected modality ${m}`);
    this.calls.push({ m, rows: rows.length });
    return { [`embedding.${m}`]: { dtype: 'float32', shape: [rows.length, 7], data: Float32Array.from(rows.flat().map((x) => x * 3)) } }; // not unit length: retrieval normalises
  }
}

describe('retrieval', () => {
  it('computes Recall@1/@5 both ways on known embeddings, one candidate per scene', async () => {
    const tok = await trainBpe(['s0 s1 s2 s3 s4 s5 s6 caption'], { vocabSize: 261 }); // bytes only
    const textIdOf = new Map<number, number>();
    const examples: DatasetExample[] = [];
    for (let g = 0; g < 7; g++) {
      const image = new Float32Array(IMAGE);
      image[0] = g;
      const pairText = tok.encode(String.fromCharCode(65 + g) + ' caption'); // first token: a distinct byte per scene
      textIdOf.set(pairText[0]!, g);
      const base = { split: 'test' as const, line: g + 1, group: `s${g}`, files: { image: `img/s${g}.png` } };
      examples.push({ ...base, id: `s${g}-cap`, image, pairText });
      // a question about the same image: not a text–image candidate, and its image is embedded once
      examples.push({ ...base, id: `s${g}-q0`, image, prompt: [5], question: 'q', answer: 'a' });
    }
    // a second captioned example of scene 0 is not a second candidate
    examples.push({ ...examples[0]!, id: 's0-cap2', line: 99, pairText: examples[2]!.pairText });

    const model = new FakeEmbedder(textIdOf);
    const plan = planRetrieval(examples);
    expect(plan.pairs.map((p) => [p.a, p.b, p.candidates.length])).toEqual([['text', 'image', 7]]);
    const r = await evaluateRetrieval(model, tok, plan, { batch: 3 });
    expect(r.embedded).toEqual({ text: 7, image: 7 });
    expect(model.calls.every((c) => c.rows <= 3)).toBe(true);
    expect(model.calls.reduce((s, c) => s + c.rows, 0)).toBe(14);

    const [t2i, i2t] = r.directions;
    // text → image ranks [1, 2, 1, 7, 1, 2, 7]
    expect(t2i).toEqual({ query: 'text', target: 'image', candidates: 7, recallAt1: 3 / 7, recallAt5: 5 / 7, medianRank: 2 });
    // image → text (cosines by hand): ranks [1, 1, 1, 2, 1, 1, 3]
    expect(i2t).toEqual({ query: 'image', target: 'text', candidates: 7, recallAt1: 5 / 7, recallAt5: 1, medianRank: 1 });
  });

  it('counts ties against the query, so collapsed embeddings score at the bottom', () => {
    const same = Array.from({ length: 4 }, () => Float32Array.of(1, 0));
    expect(retrievalRanks(same, same)).toEqual([4, 4, 4, 4]);
    expect(summariseRanks([4, 4, 4, 4])).toEqual({ recallAt1: 0, recallAt5: 1, medianRank: 4 });
    expect(summariseRanks([1, 2, 3, 10])).toEqual({ recallAt1: 0.25, recallAt5: 0.75, medianRank: 2.5 });
  });
});
