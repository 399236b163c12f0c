/**
 * Question/answer pairs about a scene. Every question is unambiguous by
 * construction (an object is only named by a phrase that picks out exactly
 * one object) and every answer is one to four words. Yes/no questions draw
 * their answer first, so yes and no are equally likely.
 */
import type { Random } from '../../graph/random.js';
import { indefinite, referringExpressions, type Attribute } from './captions.js';
import type { Scene, SceneObject } from './scene.js';
import { COLOURS, SHAPES, numberWord, plural, type Direction } from './vocab.js';

/** Questions about the still scene (asked of images and audio clips). */
export const SCENE_FAMILIES = ['colour', 'shape', 'size', 'count', 'count-shape', 'count-colour', 'exists', 'left-of', 'right-of', 'relation'] as const;
/** Questions about the motion (asked of videos). */
export const MOTION_FAMILIES = ['direction', 'moves', 'which-moves', 'count-moving'] as const;

export type SceneFamily = (typeof SCENE_FAMILIES)[number];
export type MotionFamily = (typeof MOTION_FAMILIES)[number];
export type QuestionFamily = SceneFamily | MotionFamily;

export interface QaPair {
  family: QuestionFamily;
  question: string;
  answer: string;
}

type Generator = (scene: Scene, rng: Random) => Omit<QaPair, 'family'> | null;

const pick = <T>(rng: Random, xs: readonly T[]): T => {
  if (xs.length === 0) throw new Error('pick: empty list');
  return xs[rng.int(xs.length)]!;
};

/** "what colour is the circle?" — `attr` of an object named without `attr`. */
function attributeQuestion(attr: Attribute): Generator {
  return (scene, rng) => {
    const named = scene.objects.map((o) => ({ o, refs: referringExpressions(scene, o, [attr]) })).filter((c) => c.refs.length > 0);
    if (named.length === 0) return null;
    const c = pick(rng, named);
    return { question: `what ${attr} is ${pick(rng, c.refs)}?`, answer: c.o[attr] };
  };
}

/** An object and one of its referring expressions, or null when none of `objects` can be named. */
function nameOne(scene: Scene, rng: Random, objects: readonly SceneObject[]): { o: SceneObject; ref: string } | null {
  const named = objects.map((o) => ({ o, refs: referringExpressions(scene, o) })).filter((c) => c.refs.length > 0);
  if (named.length === 0) return null;
  const c = pick(rng, named);
  return { o: c.o, ref: pick(rng, c.refs) };
}

/** Half the time an attribute value present in the scene, otherwise any value (so zero counts occur but do not dominate). */
function countValue<T>(rng: Random, present: readonly T[], all: readonly T[]): T {
  return rng.nextFloat() < 0.5 ? pick(rng, present) : pick(rng, all);
}

const GENERATORS: Record<QuestionFamily, Generator> = {
  colour: attributeQuestion('colour'),
  shape: attributeQuestion('shape'),
  size: attributeQuestion('size'),
  count: (scene) => ({ question: 'how many objects are there?', answer: numberWord(scene.objects.length) }),
  'count-shape': (scene, rng) => {
    const shape = countValue(rng, scene.objects.map((o) => o.shape), SHAPES);
    return { question: `how many ${plural(shape)} are there?`, answer: numberWord(scene.objects.filter((o) => o.shape === shape).length) };
  },
  'count-colour': (scene, rng) => {
    const colour = countValue(rng, scene.objects.map((o) => o.colour), COLOURS);
    return { question: `how many ${colour} objects are there?`, answer: numberWord(scene.objects.filter((o) => o.colour === colour).length) };
  },
  exists: (scene, rng) => {
    const has = (c: string, s: string) => scene.objects.some((o) => o.colour === c && o.shape === s);
    if (rng.nextFloat() < 0.5) {
      const o = pick(rng, scene.objects);
      return { question: `is there a ${o.colour} ${o.shape}?`, answer: 'yes' };
    }
    const absent = COLOURS.flatMap((c) => SHAPES.filter((s) => !has(c, s)).map((s) => [c, s] as const));
    // Half the "no" questions are near misses (right colour or right shape) so the answer needs both attributes bound together.
    const near = absent.filter(([c, s]) => scene.objects.some((o) => o.colour === c || o.shape === s));
    const [c, s] = pick(rng, near.length > 0 && rng.nextFloat() < 0.5 ? near : absent);
    return { question: `is there a ${c} ${s}?`, answer: 'no' };
  },
  // Objects are sorted left to right, so only objects[1] has exactly one object on its left.
  'left-of': (scene, rng) => {
    if (scene.objects.length < 2) return null;
    const named = nameOne(scene, rng, [scene.objects[1]!]);
    return named && { question: `what is left of ${named.ref}?`, answer: indefinite(scene.objects[0]!) };
  },
  'right-of': (scene, rng) => {
    const n = scene.objects.length;
    if (n < 2) return null;
    const named = nameOne(scene, rng, [scene.objects[n - 2]!]);
    return named && { question: `what is right of ${named.ref}?`, answer: indefinite(scene.objects[n - 1]!) };
  },
  relation: (scene, rng) => {
    const n = scene.objects.length;
    if (n < 2) return null;
    const yes = rng.nextFloat() < 0.5;
    const word = pick(rng, ['left', 'right'] as const);
    const i = rng.int(n - 1);
    const j = i + 1 + rng.int(n - 1 - i);
    const [leftObj, rightObj] = [scene.objects[i]!, scene.objects[j]!];
    // "is A left of B?" is true when A is the left one; "is A right of B?" when A is the right one.
    const [a, b] = (word === 'left') === yes ? [leftObj, rightObj] : [rightObj, leftObj];
    const ra = referringExpressions(scene, a);
    const rb = referringExpressions(scene, b);
    return { question: `is ${pick(rng, ra)} ${word} of ${pick(rng, rb)}?`, answer: yes ? 'yes' : 'no' };
  },
  direction: (scene, rng) => {
    const named = nameOne(scene, rng, scene.objects.filter((o) => o.motion !== 'none'));
    return named && { question: `which way does ${named.ref} move?`, answer: named.o.motion };
  },
  // Only asked when the scene has both a moving and a still object, so yes and no stay balanced.
  moves: (scene, rng) => {
    const moving = scene.objects.filter((o) => o.motion !== 'none');
    const still = scene.objects.filter((o) => o.motion === 'none');
    if (moving.length === 0 || still.length === 0) return null;
    const yes = rng.nextFloat() < 0.5;
    const named = nameOne(scene, rng, yes ? moving : still);
    return named && { question: `does ${named.ref} move?`, answer: yes ? 'yes' : 'no' };
  },
  'which-moves': (scene, rng) => {
    const unique = (['left', 'right', 'up', 'down'] as Direction[]).filter((d) => scene.objects.filter((o) => o.motion === d).length === 1);
    if (unique.length === 0) return null;
    const d = pick(rng, unique);
    return { question: `which object moves ${d}?`, answer: indefinite(scene.objects.find((o) => o.motion === d)!) };
  },
  'count-moving': (scene) => ({ question: 'how many objects move?', answer: numberWord(scene.objects.filter((o) => o.motion !== 'none').length) }),
};

/** One question of `family` about `scene`, or null when that family cannot be asked unambiguously of it. */
export function askQuestion(scene: Scene, family: QuestionFamily, rng: Random): QaPair | null {
  const qa = GENERATORS[family](scene, rng);
  return qa && { family, ...qa };
}

/**
 * Up to `k` questions about `scene` from distinct families in `families`
 * (tried in a random order; families that do not apply are skipped).
 */
export function askQuestions(scene: Scene, families: readonly QuestionFamily[], k: number, rng: Random): QaPair[] {
  const order = [...families];
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const out: QaPair[] = [];
  for (const family of order) {
    if (out.length >= k) break;
    const qa = askQuestion(scene, family, rng);
    if (qa) out.push(qa);
  }
  return out;
}
