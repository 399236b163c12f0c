import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSynth } from '../data/synth/generate.js';
import { readManifestTexts, trainBpe, type BpeTokenizer } from '../data/tokenizer/index.js';
import { loadModelConfig, readModelConfigJson, validateModelConfig } from '../model/config.js';
import { loadDataset, type DatasetExample } from './dataset.js';
import { fixedEncoders } from './encoder-features.js';
import { extendedPosition, isFrozen, METRICS_FILE, replayPlan, Trainer, type TrainerOptions } from './trainer.js';

const cfg = loadModelConfig('mm-tiny');
const root = mkdtempSync(join(tmpdir(), 'mixmodal-trainer-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let tok: BpeTokenizer;
let data: { train: DatasetExample[]; val: DatasetExample[] };

beforeAll(async () => {
  const dir = join(root, 'synth');
  await generateSynth(dir, { n: 24, seed: 3, imageSize: 32, videoSize: 32, videoFrames: 4, sampleRate: 8000, audioSeconds: 1, val: 0.2, test: 0.1 });
  const manifest = join(dir, 'manifest.jsonl');
  tok = await trainBpe(readManifestTexts(manifest, { split: 'train' }), { vocabSize: cfg.core.vocabSize });
  const train = await loadDataset(manifest, cfg, tok, { split: 'train' });
  const val = await loadDataset(manifest, cfg, tok, { split: 'val' });
  data = { train: train.examples, val: val.examples };
}, 120_000);

const options: TrainerOptions = {
  stages: [2, 3],
  stageSettings: { 1: { steps: 0, lr: 0 }, 2: { steps: 3, lr: 3e-3 }, 3: { steps: 4, lr: 3e-3 } },
  batch: 4,
  seed: 11,
  evalEvery: 0,
  evalBatches: 1,
};

function trainRecords(dir: string): { loss: number; task: string }[] {
  return readFileSync(join(dir, METRICS_FILE), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { kind: string; loss: number; task: string })
    .filter((r) => r.kind === 'train');
}
const trainLosses = (dir: string): number[] => trainRecords(dir).map((r) => r.loss);

describe('Trainer', () => {
  it('an interrupted run resumed from its checkpoint follows the uninterrupted loss curve (1e-5)', async () => {
    const straight = join(root, 'straight');
    const r = await new Trainer(cfg, tok, data, straight, options).run();
    expect(r.status).toBe('finished');
    const full = trainLosses(straight);
    expect(full).toHaveLength(7);

    const broken = join(root, 'broken');
    const first = await new Trainer(cfg, tok, data, broken, { ...options, maxStepsThisRun: 4 }).run(); // stops inside stage 3
    expect(first.status).toBe('interrupted');
    const second = await new Trainer(cfg, tok, data, broken, { ...options, resume: true }).run();
    expect(second.status).toBe('finished');
    const resumed = trainLosses(broken);
    expect(resumed).toHaveLength(7);
    resumed.forEach((l, i) => expect(Math.abs(l - full[i]!)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(full[i]!))));
    expect(new Set(full).size).toBeGreaterThan(1); // the curve moves
  });

  it('fixed encoders run once per media item in stage 3: the same losses as running them every step (1e-5), keyframes and their motion included', async () => {
    const raw = readModelConfigJson('mm-tiny') as { video: Record<string, unknown>; fusion: Record<string, unknown> };
    // Clips come in at imageSize 32 either way, so the data loaded for mm-tiny serves this config too.
    const keyed = validateModelConfig({ ...raw, video: { ...raw.video, videoSize: 16, keyframe: 'image', keyframes: 2, keyframeMotion: 'difference-windows' }, fusion: { ...raw.fusion, imageMerge: 2 } });
    const settings = { ...options.stageSettings, 3: { steps: 8, lr: 3e-3, freeze: ['encoders.', 'heads.'] } };
    const logs: string[] = [];
    const opts = { ...options, stageSettings: settings };
    await new Trainer(keyed, tok, data, join(root, 'features-on'), opts, { onLog: (l) => logs.push(l) }).run();
    await new Trainer(keyed, tok, data, join(root, 'features-off'), { ...opts, reuseEncoderFeatures: false }).run();
    expect(logs.some((l) => /stage 3: the image, audio, video encoders are fixed/.test(l))).toBe(true);
    const on = trainRecords(join(root, 'features-on'));
    const off = trainRecords(join(root, 'features-off'));
    expect(on.map((r) => r.task)).toEqual(off.map((r) => r.task));
    expect(on.filter((r) => r.task.startsWith('s3.') && r.task.includes('video')).length).toBeGreaterThan(0); // steps through the keyframe path
    expect(on.filter((r) => r.task.startsWith('s3.') && r.task !== 's3.instruct.text').length).toBeGreaterThan(3); // steps that read media
    on.forEach((r, i) => expect(Math.abs(r.loss - off[i]!.loss)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(off[i]!.loss))));
  });

  it('fixedEncoders: the media encoders a stage fixes and no replayed batch trains; a keyframe video needs the image encoder fixed too', () => {
    const base = { 1: { steps: 1, lr: 1 }, 2: { steps: 1, lr: 1 }, 3: { steps: 1, lr: 1 } };
    expect(fixedEncoders(3, { ...base, 3: { steps: 1, lr: 1, freeze: ['encoders.', 'heads.'] } }, cfg)).toEqual(['image', 'audio', 'video']);
    expect(fixedEncoders(3, { ...base, 3: { steps: 1, lr: 1, freeze: ['encoders.image.'] } }, cfg)).toEqual(['image']);
    expect(fixedEncoders(3, { ...base, 3: { steps: 1, lr: 1, freeze: ['encoders.image.stem.'] } }, cfg)).toEqual([]); // only part of it
    expect(fixedEncoders(3, { ...base, 3: { steps: 1, lr: 1, freeze: ['encoders.'], replay: { stage: 2, every: 4 } } }, cfg)).toEqual([]); // stage 2 trains them
    expect(fixedEncoders(3, { ...base, 2: { steps: 1, lr: 1, freeze: ['encoders.audio.'] }, 3: { steps: 1, lr: 1, freeze: ['encoders.'], replay: { stage: 2, every: 4 } } }, cfg)).toEqual(['audio']);
    const keyframed = loadModelConfig('mm-small');
    expect(keyframed.video.keyframe).toBe('image');
    expect(fixedEncoders(3, { ...base, 3: { steps: 1, lr: 1, freeze: ['encoders.video.'] } }, keyframed)).toEqual([]);
    expect(fixedEncoders(3, { ...base, 3: { steps: 1, lr: 1, freeze: ['encoders.video.'] } }, cfg)).toEqual(['video']);
  });

  it('a stage can hold parameters fixed by path prefix (stage 3 keeping the encoders)', async () => {
    const r = await new Trainer(cfg, tok, data, join(root, 'frozen'), {
      ...options,
      stages: [3],
      stageSettings: { ...options.stageSettings, 3: { steps: 2, lr: 3e-3, freeze: ['encoders.', 'heads.'] } },
    }).run();
    const steps = r.store.stepCounts();
    const encoder = [...steps].filter(([p]) => p.startsWith('encoders.'));
    expect(encoder.length).toBeGreaterThan(0);
    expect(encoder.every(([, n]) => n === 0)).toBe(true);
    expect(steps.get('decoder.tokens.weight')).toBe(2);
  });

  it('taskFreeze holds a prefix fixed in one task of the stage only (a locked teacher tower in its pairs)', async () => {
    const dir = join(root, 'task-freeze');
    const r = await new Trainer(cfg, tok, data, dir, {
      ...options,
      stages: [2],
      stageSettings: { ...options.stageSettings, 2: { steps: 8, lr: 3e-3, taskFreeze: { 'text+video': ['encoders.text.'] } } },
    }).run();
    expect(r.status).toBe('finished');
    const tasks = trainRecords(dir).map((x) => x.task);
    const videoSteps = tasks.filter((t) => t === 's2.contrastive.text+video').length;
    expect(videoSteps).toBeGreaterThan(0);
    expect(videoSteps).toBeLessThan(tasks.length);
    const steps = r.store.stepCounts();
    expect(steps.get('encoders.text.tokens.weight')).toBe(tasks.length - videoSteps); // every pair task but text+video
    expect(steps.get('encoders.video.times.weight')).toBe(videoSteps); // the video tower still learns from the fixed text tower
    await expect(
      new Trainer(cfg, tok, data, join(root, 'bad-task-freeze'), { ...options, stages: [2], stageSettings: { ...options.stageSettings, 2: { steps: 1, lr: 1e-3, taskFreeze: { 'image+video': ['encoders.image.'] } } } }).run(),
    ).rejects.toThrow(/stage 2 taskFreeze: no task reads 'image\+video'; its tasks read/);
  });

  it('isFrozen: the stage prefixes in every task, the task prefixes in their task only', () => {
    const st = { steps: 1, lr: 1e-3, freeze: ['heads.'], taskFreeze: { 'image+video': ['encoders.image.'] } };
    const iv = { stage: 2 as const, task: 'contrastive' as const, signature: ['image', 'video'] as ('image' | 'video')[] };
    const ti = { ...iv, signature: ['text', 'image'] as ('text' | 'image')[] };
    expect(isFrozen(st, iv, 'encoders.image.stem.proj.weight')).toBe(true);
    expect(isFrozen(st, ti, 'encoders.image.stem.proj.weight')).toBe(false);
    expect(isFrozen(st, ti, 'heads.image.weight')).toBe(true);
    expect(isFrozen(st, iv, 'encoders.video.patch.weight')).toBe(false);
  });

  it('replayPlan interleaves every n-th step and numbers both streams without gaps', () => {
    const plans = Array.from({ length: 7 }, (_, s) => replayPlan(s, 3));
    expect(plans).toEqual([
      { replay: false, index: 0 },
      { replay: false, index: 1 },
      { replay: true, index: 0 },
      { replay: false, index: 2 },
      { replay: false, index: 3 },
      { replay: true, index: 1 },
      { replay: false, index: 4 },
    ]);
    expect(replayPlan(5, undefined)).toEqual({ replay: false, index: 5 });
  });

  it('stage 3 with stage-2 replay runs contrastive batches on every 2nd step, and they train the encoders stage 3 holds fixed', async () => {
    const dir = join(root, 'replay');
    const r = await new Trainer(cfg, tok, data, dir, {
      ...options,
      stages: [3],
      stageSettings: { ...options.stageSettings, 3: { steps: 4, lr: 3e-3, freeze: ['encoders.', 'heads.'], replay: { stage: 2, every: 2, batch: 6 } } },
    }).run();
    expect(r.status).toBe('finished');
    const tasks = trainRecords(dir).map((x) => x.task.split('.').slice(0, 2).join('.'));
    expect(tasks).toEqual(['s3.instruct', 's2.contrastive', 's3.instruct', 's2.contrastive']);
    const steps = r.store.stepCounts();
    const textEncoder = [...steps].filter(([p]) => p.startsWith('encoders.text'));
    expect(textEncoder.length).toBeGreaterThan(0);
    expect(textEncoder.every(([, n]) => n === 2)).toBe(true); // every replayed (pair text) step, no instruction step
    expect(steps.get('decoder.tokens.weight')).toBe(2); // only the instruction steps
    await expect(
      new Trainer(cfg, tok, data, join(root, 'bad-replay'), { ...options, stages: [3], stageSettings: { ...options.stageSettings, 3: { steps: 2, lr: 1e-3, replay: { stage: 3, every: 2 } } } }).run(),
    ).rejects.toThrow(/replay/);
  });

  it('--extend continues a finished last stage to more steps from its checkpoint (weights, optimizer state)', async () => {
    const dir = join(root, 'extend');
    const three = { ...options, stages: [3] as TrainerOptions['stages'], stageSettings: { ...options.stageSettings, 3: { steps: 2, lr: 3e-3 } } };
    const first = await new Trainer(cfg, tok, data, dir, three).run();
    const before = first.store.stepCounts().get('decoder.tokens.weight');
    expect(before).toBe(2);
    const more = { ...three, stageSettings: { ...three.stageSettings, 3: { steps: 5, lr: 3e-3 } } };
    // Without --extend a finished run has nothing left to do.
    expect(trainRecords(dir)).toHaveLength(2);
    const second = await new Trainer(cfg, tok, data, dir, { ...more, resume: true, extend: true }).run();
    expect(second.status).toBe('finished');
    expect(second.store.stepCounts().get('decoder.tokens.weight')).toBe(5); // 2 + 3 optimizer steps on the same state
    expect(trainRecords(dir).map((r) => (r as unknown as { step: number }).step)).toEqual([1, 2, 3, 4, 5]);
    await expect(new Trainer(cfg, tok, data, dir, { ...more, resume: true, extend: true }).run()).rejects.toThrow(/stage 3 already has 5 steps; ask for more with --steps 3:N \(N > 5\)/);
  });

  it('extendedPosition: only a finished stage, and only to more steps', () => {
    const settings = { ...options.stageSettings, 3: { steps: 10, lr: 1e-3 } };
    expect(extendedPosition({ stageIndex: 2, step: 0 }, { 2: 3, 3: 4 }, [2, 3], settings)).toEqual({ stageIndex: 1, step: 4 });
    expect(() => extendedPosition({ stageIndex: 1, step: 2 }, { 2: 3, 3: 4 }, [2, 3], settings)).toThrow(/checkpoint is at step 2 of stage 3; continue it with --resume alone/);
    expect(() => extendedPosition({ stageIndex: 2, step: 0 }, undefined, [2, 3], settings)).toThrow(/does not say how many steps stage 3 had/);
  });

  it('refuses --resume without a checkpoint and a tokenizer larger than the model vocabulary', async () => {
    await expect(new Trainer(cfg, tok, data, join(root, 'none'), { ...options, resume: true }).run()).rejects.toThrow(/no checkpoint/);
    const big = { ...tok, vocabSize: cfg.core.vocabSize + 1 } as BpeTokenizer;
    expect(() => new Trainer(cfg, big, data, join(root, 'x'), options)).toThrow(/vocabSize/);
  });
});
