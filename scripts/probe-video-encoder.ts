/**
 * How fast a video encoder learns to see motion: trains mm-small's video
 * encoder plus a linear probe, from scratch, on eight yes/no labels of a
 * synthetic clip — does some object move left / right / up / down, and does
 * the red / green / blue / yellow object move (motion bound to an object) —
 * and prints validation accuracy as it goes. Compares tubelet lengths, frame
 * sizes and pixel stems; the numbers are in BENCHMARKS.md.
 *
 *   npx tsx scripts/probe-video-encoder.ts [--tubelet T] [--size S] [--patch P] [--stem patch|conv] [--appearance none|conv] [--steps N] [--data DIR] [--labels motion|shapes]
 *
 * --appearance conv adds a conv stem of each tubelet's first frame to its
 * tokens (VideoEncoderConfig.appearance).
 *
 * --labels shapes asks instead which of circle / square / triangle the clip
 * contains (what "which object moves …?" answers need besides the motion).
 *
 * DIR is a `mixmodal data synth` folder (default data/synth-demo, which
 * `npm run train:demo` writes); its scenes.jsonl gives the labels.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadVideo } from '../src/data/media/video.js';
import { COLOURS, SHAPES } from '../src/data/synth/vocab.js';
import { loadModelConfig } from '../src/model/config.js';
import { VideoEncoder } from '../src/model/encoders/index.js';
import { containsLabels, readSynthScenes, runLinearProbe, type ProbeRow, type SynthScene } from './linear-probe.js';

const { values } = parseArgs({
  options: {
    tubelet: { type: 'string' },
    size: { type: 'string' },
    patch: { type: 'string' },
    stem: { type: 'string' },
    appearance: { type: 'string' },
    steps: { type: 'string', default: '600' },
    data: { type: 'string', default: 'data/synth-demo' },
    labels: { type: 'string', default: 'motion' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  console.log('npx tsx scripts/probe-video-encoder.ts [--tubelet T] [--size S] [--patch P] [--stem patch|conv] [--appearance none|conv] [--steps N] [--data DIR] [--labels motion|shapes]');
  process.exit(0);
}
const steps = Number(values.steps);
if (!Number.isInteger(steps) || steps < 1) throw new Error(`--steps must be a positive integer, got '${values.steps}'`);
if (values.stem !== undefined && values.stem !== 'patch' && values.stem !== 'conv') throw new Error(`--stem must be patch or conv, got '${values.stem}'`);
if (values.appearance !== undefined && values.appearance !== 'none' && values.appearance !== 'conv') throw new Error(`--appearance must be none or conv, got '${values.appearance}'`);
if (values.labels !== 'motion' && values.labels !== 'shapes') throw new Error(`--labels must be motion or shapes, got '${values.labels}'`);

const cfg = loadModelConfig('mm-small');
const base = cfg.video;
const videoCfg = {
  ...base,
  tubeletFrames: values.tubelet ? Number(values.tubelet) : base.tubeletFrames,
  videoSize: values.size ? Number(values.size) : base.videoSize,
  videoPatch: values.patch ? Number(values.patch) : base.videoPatch,
  stem: (values.stem ?? base.stem) as 'patch' | 'conv',
  appearance: (values.appearance ?? base.appearance) as 'none' | 'conv',
};
const { videoFrames: frames, videoSize: size } = videoCfg;
const DIRECTIONS = ['left', 'right', 'up', 'down'] as const;

const scenes = readSynthScenes(values.data!);
const label = async (s: SynthScene): Promise<ProbeRow> => ({
  input: await loadVideo(join(values.data!, 'vid', `${s.id}.y4m`), { frames, size }),
  labels:
    values.labels === 'shapes'
      ? containsLabels(s, SHAPES.map((shape) => ({ shape })))
      : [
          ...DIRECTIONS.map((d) => (s.objects.some((o) => o.motion === d) ? 1 : 0)),
          ...COLOURS.map((c) => (s.objects.some((o) => o.colour === c && o.motion !== 'none') ? 1 : 0)),
        ],
});
await runLinearProbe({
  title: `tubelet ${videoCfg.tubeletFrames}, ${size}×${size} frames, patch ${videoCfg.videoPatch}, stem ${videoCfg.stem}, appearance ${videoCfg.appearance}, labels ${values.labels}`,
  inputShape: [frames, 3, size, size],
  encode: (g, input) => new VideoEncoder(g, 'video', videoCfg).apply(input).pooled,
  dim: cfg.core.dim,
  train: await Promise.all(scenes.filter((s) => s.split === 'train').map(label)),
  val: await Promise.all(scenes.filter((s) => s.split === 'val').map(label)),
  steps,
});
