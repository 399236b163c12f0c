/**
 * The examples of one scene — the manifest lines that share its media. Text
 * only; the media are rendered in ./generate.ts.
 */
import { Random } from '../../graph/random.js';
import type { ManifestLine } from '../manifest.js';
import { imageCaption, videoCaption } from './captions.js';
import { askQuestions, MOTION_FAMILIES, SCENE_FAMILIES, type QaPair } from './questions.js';
import type { Scene } from './scene.js';
import type { Split } from './splits.js';

export type { ManifestLine };

/** Everything said about one scene. */
export interface SceneText {
  /** "a large red circle left of a small blue square". */
  caption: string;
  /** "the red circle moves left and the blue square stays still". */
  videoCaption: string;
  /** Questions about the image. */
  imageQa: QaPair[];
  /** Questions about the audio clip (same families as the image: the sound carries colour, shape, size and order). */
  audioQa: QaPair[];
  /** Questions about the motion in the video. */
  videoQa: QaPair[];
}

/** How many questions of each kind a scene gets. */
export interface QuestionCounts {
  /** Image questions per scene (default 3). */
  questions: number;
  /** Audio questions per scene (default 1). */
  audioQuestions: number;
  /** Video questions per scene (default 1). */
  videoQuestions: number;
}

/** Captions and questions of `scene`; depends on (seed, scene, counts) only. */
export function sceneText(scene: Scene, seed: number, counts: QuestionCounts): SceneText {
  const rng = new Random(seed).fork('synth.qa').fork(scene.index);
  return {
    caption: imageCaption(scene),
    videoCaption: videoCaption(scene),
    imageQa: askQuestions(scene, SCENE_FAMILIES, counts.questions, rng.fork('image')),
    audioQa: askQuestions(scene, SCENE_FAMILIES, counts.audioQuestions, rng.fork('audio')),
    videoQa: askQuestions(scene, MOTION_FAMILIES, counts.videoQuestions, rng.fork('video')),
  };
}

/** Where a scene's media live, relative to the manifest. */
export function mediaPaths(scene: Scene): { image: string; audio: string; video: string } {
  return { image: `img/${scene.id}.png`, audio: `wav/${scene.id}.wav`, video: `vid/${scene.id}.y4m` };
}

/**
 * The manifest lines of one scene, in this order:
 * `<id>-cap`  image + audio + caption (text = caption)
 * `<id>-vcap` video + video caption (text = video caption)
 * `<id>-iv`   image + video, nothing else (only with `imageVideoPairs`: a stage-2 pair)
 * `<id>-q<k>` image question/answer, `<id>-a<k>` audio question/answer, `<id>-v<k>` video question/answer.
 */
export function sceneLines(scene: Scene, split: Split, text: SceneText, o: { imageVideoPairs?: boolean } = {}): ManifestLine[] {
  const m = mediaPaths(scene);
  return [
    { id: `${scene.id}-cap`, split, text: text.caption, image: m.image, audio: m.audio, caption: text.caption },
    { id: `${scene.id}-vcap`, split, text: text.videoCaption, video: m.video, caption: text.videoCaption },
    ...(o.imageVideoPairs ? [{ id: `${scene.id}-iv`, split, image: m.image, video: m.video }] : []),
    ...text.imageQa.map((qa, k) => ({ id: `${scene.id}-q${k}`, split, image: m.image, question: qa.question, answer: qa.answer })),
    ...text.audioQa.map((qa, k) => ({ id: `${scene.id}-a${k}`, split, audio: m.audio, question: qa.question, answer: qa.answer })),
    ...text.videoQa.map((qa, k) => ({ id: `${scene.id}-v${k}`, split, video: m.video, question: qa.question, answer: qa.answer })),
  ];
}
