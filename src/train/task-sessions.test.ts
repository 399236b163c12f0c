import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { HostTensor } from '../graph/host-tensor.js';
import { Random } from '../graph/random.js';
import { loadModelConfig } from '../model/config.js';
import type { Modality } from '../model/modalities.js';
import { mediaShape } from '../model/model-inputs.js';
import { summarizeProfile, type ProfileEvent } from '../runtime/ort-profile.js';
import { ParamStore } from '../runtime/param-store.js';
import type { TaskKey } from './objectives/objective.js';
import { TaskSessions } from './task-sessions.js';

const cfg = loadModelConfig('mm-tiny');
const B = 4;
const rng = new Random(1);
const floats = (shape: number[]): HostTensor => ({ dtype: 'float32', shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.nextFloat()) });
const ints = (shape: number[], max: number): HostTensor => ({ dtype: 'int64', shape, data: BigInt64Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => BigInt(rng.int(max))) });
const ones = (shape: number[]): HostTensor => ({ dtype: 'float32', shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(1) });
const trues = (shape: number[]): HostTensor => ({ dtype: 'bool', shape, data: new Uint8Array(shape.reduce((a, b) => a * b, 1)).fill(1) });

function inputs(sig: Modality[]): Record<string, HostTensor> {
  const f: Record<string, HostTensor> = {};
  for (const m of sig) {
    if (m === 'text') {
      f.text_ids = ints([B, 6], cfg.core.vocabSize);
      f.text_mask = trues([B, 6]);
    } else f[m] = floats([B, ...mediaShape(cfg, m)]);
  }
  return f;
}

const TOKENS = { image: 16, audio: 15, video: 32 } as const;

const cases: [string, TaskKey, () => Record<string, HostTensor>][] = [
  ['stage 1 text LM', { stage: 1, task: 'lm', signature: ['text'] }, () => ({ lm_ids: ints([B, 7], 300), lm_targets: ints([B, 7], 300), lm_weights: ones([B, 7]) })],
  ...(['image', 'audio', 'video'] as const).map(
    (m) =>
      [`stage 1 masked ${m}`, { stage: 1, task: 'masked', signature: [m] }, () => ({ ...inputs([m]), [`${m}_target`]: floats([B, ...mediaShape(cfg, m)]), [`${m}_token_mask`]: ones([B, TOKENS[m]]) })] as [string, TaskKey, () => Record<string, HostTensor>],
  ),
  ['stage 2 contrastive text+image+audio', { stage: 2, task: 'contrastive', signature: ['text', 'image', 'audio'] }, () => inputs(['text', 'image', 'audio'])],
  [
    'stage 3 instruct text+video',
    { stage: 3, task: 'instruct', signature: ['text', 'video'] },
    () => ({ ...inputs(['text', 'video']), dec_ids: ints([B, 5], 300), dec_targets: ints([B, 5], 300), dec_weights: ones([B, 5]), noise_seed: { dtype: 'int64', shape: [], data: BigInt64Array.of(5n) } }),
  ],
];

describe('training tasks on mm-tiny', () => {
  const store = new ParamStore();
  const tasks = new TaskSessions(cfg, store, { optimizer: { kind: 'adamw', weightDecay: 0 }, seed: 0 });

  it.each(cases)('%s: a fixed batch is learned (loss falls over 8 steps)', async (_, key, feeds) => {
    const session = await tasks.get(key);
    const batch = feeds();
    const losses: number[] = [];
    for (let i = 0; i < 8; i++) losses.push((await session.step(batch, 3e-3)).loss);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[7]!).toBeLessThan(losses[0]!);
  });

  it('tasks share parameters through one store', () => {
    // the text encoder trained by the contrastive task is the one the instruct task reads
    expect(store.steps('encoders.text.tokens.weight')).toBe(16);
    expect(store.steps('decoder.tokens.weight')).toBe(16); // LM and instruct
    expect(store.has('contrastive.logit_scale')).toBe(true);
  });
});

describe('TaskSessions profileDir', () => {
  it('writes each session’s ONNX Runtime profile, named by its task, when released', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mixmodal-task-profile-'));
    try {
      const tasks = new TaskSessions(cfg, new ParamStore(), { optimizer: { kind: 'adamw' }, seed: 0, threads: 1, profileDir: join(dir, 'profiles') });
      const [, key, feeds] = cases[0]!; // stage 1 text LM
      await (await tasks.get(key)).step(feeds(), 1e-3);
      await tasks.evaluate(key, feeds());
      await tasks.release();
      const files = readdirSync(join(dir, 'profiles')).sort();
      expect(files).toHaveLength(2);
      expect(files[0]).toMatch(/^eval\.s1\.lm\.text_.*\.json$/);
      expect(files[1]).toMatch(/^s1\.lm\.text_.*\.json$/);
      const summary = summarizeProfile(JSON.parse(readFileSync(join(dir, 'profiles', files[1]!), 'utf8')) as ProfileEvent[]);
      expect(summary.runs).toBe(1);
      expect(summary.byOp.length).toBeGreaterThan(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
