import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSynth } from '../../data/synth/generate.js';
import { readManifestTexts, trainBpe, type BpeTokenizer } from '../../data/tokenizer/index.js';
import { loadModelConfig } from '../../model/config.js';
import { randomModelParams } from '../../model/inference-graphs.js';
import { ModelRuntime } from '../../model/model-runtime.js';
import { modelFeeds } from '../batches.js';
import { loadDataset, type DatasetExample } from '../dataset.js';
import { evaluate, type EvalReport } from './evaluate.js';
import { formatEvalReport } from './report-format.js';

const cfg = loadModelConfig('mm-tiny');
const root = mkdtempSync(join(tmpdir(), 'mixmodal-eval-'));
let runtime: ModelRuntime;
let tok: BpeTokenizer;
let examples: DatasetExample[];
let report: EvalReport;
const progress: Array<[number, number]> = [];

afterAll(async () => {
  await runtime?.release();
  rmSync(root, { recursive: true, force: true });
});

beforeAll(async () => {
  const dir = join(root, 'synth');
  await generateSynth(dir, { n: 12, seed: 2, imageSize: 32, videoSize: 32, videoFrames: 4, sampleRate: 8000, audioSeconds: 1, val: 0, test: 0.5 });
  const manifest = join(dir, 'manifest.jsonl');
  tok = await trainBpe(readManifestTexts(manifest, { split: 'train' }), { vocabSize: cfg.core.vocabSize });
  examples = (await loadDataset(manifest, cfg, tok, { split: 'test' })).examples;
  runtime = new ModelRuntime(cfg, randomModelParams(cfg, 9), { threads: 1 });
  report = await evaluate(runtime, tok, examples, { batch: 8, onProgress: (d, t) => progress.push([d, t]) });
}, 120_000);

describe('evaluate (mm-tiny, random weights, synthetic test split)', () => {
  it('reports retrieval for every modality pair, both ways, one candidate per scene', () => {
    const scenes = new Set(examples.map((e) => e.group)).size;
    expect(scenes).toBe(6);
    expect(report.format).toBe('mixmodal-eval/1');
    expect(report.model).toBe('mm-tiny');
    expect(report.examples).toBe(examples.length);
    const dirs = report.retrieval.directions.map((d) => `${d.query}>${d.target}`);
    // -cap lines: text + image + audio; -vcap lines: text + video
    expect(dirs).toEqual(['text>image', 'image>text', 'text>audio', 'audio>text', 'text>video', 'video>text', 'image>audio', 'audio>image']);
    for (const d of report.retrieval.directions) {
      expect(d.candidates).toBe(scenes);
      expect(d.recallAt1).toBeGreaterThanOrEqual(0);
      expect(d.recallAt5).toBeGreaterThanOrEqual(d.recallAt1);
      expect(d.recallAt5).toBeLessThanOrEqual(1);
      expect(d.medianRank).toBeGreaterThanOrEqual(1);
      expect(d.medianRank).toBeLessThanOrEqual(scenes);
    }
    // two texts per scene (caption, video caption), one image, audio clip and video each
    expect(report.retrieval.embedded).toEqual({ text: 2 * scenes, image: scenes, audio: scenes, video: scenes });
  });

  it('reports QA by media and captioning with BLEU-4', () => {
    const count = (re: RegExp) => examples.filter((e) => re.test(e.id)).length;
    expect(report.qa.count).toBe(count(/-[qav]\d+$/));
    expect(Object.fromEntries(Object.entries(report.qa.byModality).map(([k, c]) => [k, c.count]))).toEqual({ image: count(/-q\d+$/), audio: count(/-a\d+$/), video: count(/-v\d+$/) });
    expect(report.qa.accuracy).toBeGreaterThanOrEqual(0);
    expect(report.qa.accuracy).toBeLessThanOrEqual(1);
    expect(report.qa.samples.length).toBeGreaterThan(0);
    expect(report.captioning.count).toBe(count(/-v?cap$/));
    expect(Object.keys(report.captioning.byModality).sort()).toEqual(['image+audio', 'video']);
    expect(report.captioning.bleu4).toBeGreaterThanOrEqual(0);
    expect(report.captioning.bleu4).toBeLessThanOrEqual(1);
    expect(report.captioning.bleu.precisions).toHaveLength(4);
  });

  it('routing totals equal the routed token counts', () => {
    const r = report.routing;
    expect(r.layers).toHaveLength(2); // mm-tiny: 2 fusion layers, MoE in each
    expect(r.batches).toBeGreaterThanOrEqual(5); // QA image / audio / video, captions image+audio / video
    expect(r.tokens).toBeGreaterThan(0);
    for (const l of r.layers) {
      // token choice: every real token makes topK assignments, kept or dropped
      expect(l.assignments + l.dropped).toBe(r.topK * r.tokens);
      expect(l.tokensPerExpert.reduce((a, b) => a + b, 0)).toBe(l.assignments);
      const columns = l.tokensPerExpert.map((_, e) => l.modalityExpert.reduce((s, row) => s + row[e]!, 0));
      expect(columns).toEqual(l.tokensPerExpert);
      expect(l.busiestShare).toBeCloseTo(Math.max(...l.tokensPerExpert) / l.assignments, 12);
      expect(l.droppedRate).toBeCloseTo(l.dropped / (l.assignments + l.dropped), 12);
      for (const m of ['text', 'image', 'audio', 'video']) expect(l.modalityExpert[r.modalities.indexOf(m)]!.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    }
  });

  it('reports progress up to the total, and formats as JSON and as tables', () => {
    const [done, total] = progress.at(-1)!;
    expect(done).toBe(total);
    expect(total).toBe(5 * 6 + report.qa.count + report.captioning.count);
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
    const text = formatEvalReport(report);
    for (const s of ['Retrieval', 'text → image', 'Question answering', 'Captioning', 'BLEU-4', 'layer 0', 'layer 1', 'drop rate']) expect(text).toContain(s);
  });

  it('maxExamples evaluates only the first N examples', async () => {
    const small = await evaluate(runtime, tok, examples, { batch: 8, maxExamples: 7 }); // the first scene's lines
    expect(small.examples).toBe(7);
    expect(small.qa.count + small.captioning.count).toBe(7);
    expect(small.retrieval.directions.every((d) => d.candidates === 1)).toBe(true);
  });

  it('the embed path (encoders only) gives the encode graph’s embeddings', async () => {
    const exs = examples.filter((e) => e.image && e.pairText).slice(0, 3);
    for (const m of ['text', 'image'] as const) {
      const feeds = modelFeeds(exs, [m], cfg, tok, 'pair');
      const a = (await runtime.embed([m], feeds))[`embedding.${m}`]!.data as Float32Array;
      const b = (await runtime.encode([m], feeds))[`embedding.${m}`]!.data as Float32Array;
      expect(a.length).toBe(3 * cfg.core.embedDim);
      a.forEach((x, i) => expect(x).toBeCloseTo(b[i]!, 5));
    }
  });
});
