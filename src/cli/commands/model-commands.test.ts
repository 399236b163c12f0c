import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { generateSynth } from '../../data/synth/generate.js';
import { readManifestTexts, trainBpe } from '../../data/tokenizer/index.js';
import type { HostTensor } from '../../graph/host-tensor.js';
import { loadModelConfig, MODEL_CONFIG_DIR } from '../../model/config.js';
import { buildDecoderGraphs } from '../../model/generation.js';
import { buildEncodeGraph, decoderConfigOf } from '../../model/inference-graphs.js';
import { saveModelFolder } from '../../train/model-folder.js';
import { initParams } from '../../runtime/init-params.js';
import type { EvalReport } from '../../train/evaluate/evaluate.js';
import { main } from '../main.js';

const cfg = loadModelConfig('mm-tiny');
const root = mkdtempSync(join(tmpdir(), 'mixmodal-cli-model-'));
const model = join(root, 'model');
const synth = join(root, 'synth');
const manifest = join(synth, 'manifest.jsonl');
afterAll(() => rmSync(root, { recursive: true, force: true }));

beforeAll(async () => {
  await generateSynth(synth, { n: 4, seed: 2, imageSize: 32, videoSize: 32, videoFrames: 4, sampleRate: 8000, audioSeconds: 1, val: 0, test: 0.5 });
  const tok = await trainBpe(readManifestTexts(manifest, { split: 'train' }), { vocabSize: cfg.core.vocabSize });
  const params = new Map<string, HostTensor>();
  for (const g of [buildEncodeGraph(cfg, ['text', 'image', 'audio', 'video']), buildDecoderGraphs(decoderConfigOf(cfg)).step]) {
    for (const [k, v] of initParams(g, 4)) params.set(k, v);
  }
  const raw = JSON.parse(readFileSync(join(MODEL_CONFIG_DIR, 'mm-tiny.json'), 'utf8')) as unknown;
  await saveModelFolder(model, { cfg: raw, params, tokenizer: tok });
}, 120_000);

let out: string[];
let err: string[];
beforeEach(() => {
  out = [];
  err = [];
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true); // progress bars
});
afterEach(() => vi.restoreAllMocks());

/** The media files of the first scene of the manifest. */
const media = () => {
  const first = JSON.parse(readFileSync(manifest, 'utf8').split('\n')[0]!) as { image: string; audio: string };
  const id = first.image.replace(/^img\/|\.png$/g, '');
  return { image: join(synth, first.image), audio: join(synth, first.audio), video: join(synth, `vid/${id}.y4m`) };
};

describe('mixmodal embed / generate / eval on a saved mm-tiny folder', () => {
  it('embed prints one unit-length embedding per modality as JSON', async () => {
    const m = media();
    for (const [flag, value] of [['--text', 'a red circle'], ['--image', m.image], ['--audio', m.audio], ['--video', m.video]] as const) {
      out = [];
      expect(await main(['embed', '--model', model, flag, value]), err.join('\n')).toBe(0);
      const j = JSON.parse(out.join('\n')) as { model: string; modality: string; dim: number; embedding: number[] };
      expect(j.model).toBe('mm-tiny');
      expect(j.modality).toBe(flag.slice(2));
      expect(j.dim).toBe(cfg.core.embedDim);
      expect(j.embedding).toHaveLength(cfg.core.embedDim);
      expect(Math.hypot(...j.embedding)).toBeCloseTo(1, 4);
    }
  });

  it('embed: clear errors for a flag combination, a missing file and a missing model', async () => {
    expect(await main(['embed', '--model', model, '--text', 'x', '--image', media().image])).toBe(1);
    expect(err.join('\n')).toMatch(/exactly one input, got --text and --image/);
    expect(await main(['embed', '--model', model])).toBe(1);
    expect(err.join('\n')).toMatch(/give one input: --text, --image, --audio or --video/);
    expect(await main(['embed', '--model', model, '--image', join(root, 'nope.png')])).toBe(1);
    expect(err.join('\n')).toMatch(/--image .*nope\.png: no such file/);
    expect(await main(['embed', '--model', join(root, 'missing'), '--text', 'x'])).toBe(1);
    expect(err.join('\n')).toMatch(/model folder .*missing does not exist/);
    expect(await main(['embed', '--model', model, '--colour', 'red'])).toBe(2);
  });

  it('generate answers from media and a prompt, deterministically when greedy', async () => {
    const m = media();
    const args = ['generate', '--model', model, '--image', m.image, '--audio', m.audio, '--prompt', 'how many objects are there?', '--max-tokens', '6'];
    expect(await main(args), err.join('\n')).toBe(0);
    const first = out.join('\n');
    expect(out).toHaveLength(1);
    out = [];
    expect(await main(args)).toBe(0);
    expect(out.join('\n')).toBe(first);
    out = [];
    expect(await main(['generate', '--model', model, '--video', m.video, '--temperature', '1', '--top-p', '0.9', '--seed', '3'])).toBe(0); // a caption
    expect(await main(['generate', '--model', model, '--prompt', 'hello'])).toBe(0); // text only
    expect(out).toHaveLength(2);
  });

  it('generate: clear errors without inputs and for out-of-range options', async () => {
    expect(await main(['generate', '--model', model])).toBe(1);
    expect(err.join('\n')).toMatch(/nothing to generate from/);
    expect(await main(['generate', '--model', model, '--prompt', 'x', '--max-tokens', '99'])).toBe(1);
    expect(err.join("\n")).toMatch(/--max-tokens 99 exceeds what the decoder can write after its prompt \(\d+ = maxLen 32 − \d+\)/);
    expect(await main(['generate', '--model', model, '--prompt', 'x', '--top-p', '1.5'])).toBe(1);
    expect(err.join('\n')).toMatch(/--top-p must be in \(0, 1\]/);
    expect(await main(['generate', '--model', model, '--video', join(root, 'none.y4m')])).toBe(1);
    expect(err.join('\n')).toMatch(/--video .*none\.y4m: no such file/);
  });

  it('eval prints a JSON report and a readable one', async () => {
    expect(await main(['eval', '--model', model, '--data', manifest, '--split', 'test', '--json', '--batch', '4']), err.join('\n')).toBe(0);
    const report = JSON.parse(out.join('\n')) as EvalReport;
    expect(report.format).toBe('mixmodal-eval/1');
    expect(report.examples).toBe(14); // 2 test scenes × (cap, vcap, 3 image, 1 audio, 1 video questions)
    expect(report.retrieval.directions.every((d) => d.candidates === 2)).toBe(true);
    expect(report.qa.count).toBe(10);
    expect(report.captioning.count).toBe(4);
    out = [];
    expect(await main(['eval', '--model', model, '--data', manifest, '--limit', '5'])).toBe(0);
    const text = out.join('\n');
    expect(text).toMatch(/^Evaluation of mm-tiny: 5 examples/);
    for (const s of ['Retrieval', 'Question answering', 'Captioning', 'Routing']) expect(text).toContain(s);
  });

  it('eval: clear errors for a missing manifest, a bad split and an empty split', async () => {
    expect(await main(['eval', '--model', model, '--data', join(root, 'none.jsonl')])).toBe(1);
    expect(err.join('\n')).toMatch(/--data .*none\.jsonl: no such file/);
    expect(await main(['eval', '--model', model, '--data', manifest, '--split', 'dev'])).toBe(1);
    expect(err.join('\n')).toMatch(/--split must be one of train, val, test/);
    expect(await main(['eval', '--model', model, '--data', manifest, '--split', 'val'])).toBe(1);
    expect(err.join('\n')).toMatch(/no examples in split 'val'/);
  });

  it('each command has --help', async () => {
    for (const c of ['eval', 'embed', 'generate']) {
      out = [];
      expect(await main([c, '--help'])).toBe(0);
      expect(out.join('\n')).toMatch(new RegExp(`^Usage: mixmodal ${c} --model DIR`));
    }
    out = [];
    await main(['--help']);
    for (const c of ['eval', 'embed', 'generate']) expect(out.join('\n')).toMatch(new RegExp(`\\n  ${c} +\\S`));
  });
});
