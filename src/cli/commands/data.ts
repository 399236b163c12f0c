/** `mixmodal data <subcommand>`: data-set tools. `data synth` writes the synthetic multimodal world. */
import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_SYNTH_OPTIONS, generateSynth } from '../../data/synth/generate.js';
import { numberOption, type Command } from '../command.js';
import { ProgressBar } from '../progress.js';

const d = DEFAULT_SYNTH_OPTIONS;

export const dataCommand: Command = {
  name: 'data',
  summary: 'data-set tools: `data synth` writes a deterministic synthetic multimodal data set',
  help: `Usage: mixmodal data synth --out DIR --n N [--seed S] [options]

Writes N synthetic scenes of 1–3 objects (shape, colour, size, position, motion):
  DIR/manifest.jsonl   one example per line: {"id","split","text","image","audio","video","caption","question","answer"}
  DIR/scenes.jsonl     each scene's split and objects (the ground truth)
  DIR/img/*.png        RGB image of the scene
  DIR/wav/*.wav        each object heard left to right: pitch by colour, timbre by shape, loudness by size
  DIR/vid/*.y4m        YUV4MPEG2 video of the objects moving
  DIR/synth.json       options, counts per split, vocabulary and sound mapping
The same options give byte-identical files. Splits are disjoint by scene.

Options:
  --out DIR            output folder (required; must be empty, new, or an earlier synth output)
  --n N                number of scenes (required)
  --seed S             world seed (default ${d.seed})
  --image-size PX      image side (default ${d.imageSize})
  --video-size PX      video frame side (default ${d.videoSize})
  --video-frames F     frames per video (default ${d.videoFrames})
  --sample-rate HZ     audio sample rate (default ${d.sampleRate})
  --audio-seconds S    audio clip length (default ${d.audioSeconds})
  --questions K        image questions per scene (default ${d.questions})
  --audio-questions K  audio questions per scene (default ${d.audioQuestions})
  --video-questions K  video questions per scene (default ${d.videoQuestions})
  --image-video-pairs  also write each scene's image and video as a pair without text (<id>-iv lines:
                       stage 2 aligns the video encoder with the image encoder)
  --val F              fraction of scenes in the val split (default ${d.val})
  --test F             fraction of scenes in the test split (default ${d.test})
  -h, --help           show this help

Example:
  mixmodal data synth --out data/synth --n 2000 --seed 1`,
  options: {
    out: { type: 'string' },
    n: { type: 'string' },
    seed: { type: 'string' },
    'image-size': { type: 'string' },
    'video-size': { type: 'string' },
    'video-frames': { type: 'string' },
    'sample-rate': { type: 'string' },
    'audio-seconds': { type: 'string' },
    questions: { type: 'string' },
    'audio-questions': { type: 'string' },
    'video-questions': { type: 'string' },
    'image-video-pairs': { type: 'boolean', default: false },
    val: { type: 'string' },
    test: { type: 'string' },
  },
  async run({ values, positionals }) {
    const [sub, ...extra] = positionals;
    if (sub !== 'synth') throw new Error(sub ? `unknown subcommand '${sub}' (available: synth)` : 'missing subcommand (available: synth)');
    if (extra.length > 0) throw new Error(`unexpected argument '${extra[0]}'`);
    const out = values.out as string | undefined;
    if (!out) throw new Error('--out DIR is required');
    if (values.n === undefined) throw new Error('--n N (number of scenes) is required');
    if (existsSync(out) && readdirSync(out).length > 0 && !existsSync(join(out, 'synth.json'))) {
      throw new Error(`--out ${out} is not empty and holds no synth.json; choose a new or empty folder`);
    }
    const options = {
      n: numberOption(values, 'n', 0, { min: 1, integer: true }),
      seed: numberOption(values, 'seed', d.seed, { integer: true }),
      imageSize: numberOption(values, 'image-size', d.imageSize, { min: 8, integer: true }),
      videoSize: numberOption(values, 'video-size', d.videoSize, { min: 8, integer: true }),
      videoFrames: numberOption(values, 'video-frames', d.videoFrames, { min: 2, integer: true }),
      sampleRate: numberOption(values, 'sample-rate', d.sampleRate, { min: 2000, integer: true }),
      audioSeconds: numberOption(values, 'audio-seconds', d.audioSeconds, { min: 0.25 }),
      questions: numberOption(values, 'questions', d.questions, { min: 0, integer: true }),
      audioQuestions: numberOption(values, 'audio-questions', d.audioQuestions, { min: 0, integer: true }),
      videoQuestions: numberOption(values, 'video-questions', d.videoQuestions, { min: 0, integer: true }),
      imageVideoPairs: values['image-video-pairs'] as boolean,
      val: numberOption(values, 'val', d.val, { min: 0 }),
      test: numberOption(values, 'test', d.test, { min: 0 }),
    };
    const bar = new ProgressBar('synth', options.n);
    const t0 = performance.now();
    const summary = await generateSynth(out, options, (done) => bar.update(done));
    bar.finish();
    const seconds = (performance.now() - t0) / 1000;
    const { scenes, examples, answers } = summary.counts;
    const total = examples.train + examples.val + examples.test;
    console.log(`wrote ${options.n} scenes, ${total} examples to ${join(out, 'manifest.jsonl')} in ${seconds.toFixed(2)} s`);
    console.log(`scenes   train ${scenes.train}  val ${scenes.val}  test ${scenes.test}`);
    console.log(`examples train ${examples.train}  val ${examples.val}  test ${examples.test}  (yes/no answers ${answers.yes}/${answers.no})`);
    return 0;
  },
};
