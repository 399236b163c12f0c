/**
 * Descriptions of scenes in words: object phrases, referring expressions,
 * the image caption and the video (motion) caption. Deterministic templates.
 */
import type { Scene, SceneObject } from './scene.js';

/** Attributes a referring expression may name. */
export type Attribute = 'size' | 'colour' | 'shape';

/** "large red circle". */
export function describe(o: SceneObject): string {
  return `${o.size} ${o.colour} ${o.shape}`;
}

/** "a large red circle". */
export function indefinite(o: SceneObject): string {
  return `a ${describe(o)}`;
}

/** The attribute sets a referring expression can use, shortest first. */
const REF_SETS: Attribute[][] = [['shape'], ['colour'], ['size'], ['colour', 'shape'], ['size', 'shape'], ['size', 'colour'], ['size', 'colour', 'shape']];

/** The noun phrase naming `attrs` of `o` without an article: "red circle", "small object", "blue object". */
export function phrase(o: SceneObject, attrs: readonly Attribute[]): string {
  const words: string[] = [];
  if (attrs.includes('size')) words.push(o.size);
  if (attrs.includes('colour')) words.push(o.colour);
  words.push(attrs.includes('shape') ? o.shape : 'object');
  return words.join(' ');
}

/** Whether `p` has the same values as `o` on every attribute in `attrs`. */
export function matches(p: SceneObject, o: SceneObject, attrs: readonly Attribute[]): boolean {
  return attrs.every((a) => p[a] === o[a]);
}

/**
 * Every unambiguous way to refer to `o` in `scene` ("the circle", "the red
 * circle", …) that does not name any attribute in `exclude`, shortest first.
 * Empty when no such phrase picks out exactly one object.
 */
export function referringExpressions(scene: Scene, o: SceneObject, exclude: readonly Attribute[] = []): string[] {
  return REF_SETS.filter((attrs) => !attrs.some((a) => exclude.includes(a)))
    .filter((attrs) => scene.objects.filter((p) => matches(p, o, attrs)).length === 1)
    .map((attrs) => `the ${phrase(o, attrs)}`);
}

/** The shortest name of `o` used in video captions: "the red circle", or "the large red circle" when that is needed. */
export function captionName(scene: Scene, o: SceneObject): string {
  const short: Attribute[] = ['colour', 'shape'];
  return scene.objects.filter((p) => matches(p, o, short)).length === 1 ? `the ${phrase(o, short)}` : `the ${describe(o)}`;
}

/**
 * The image caption, objects left to right:
 * 1 object  "a large red circle";
 * 2 objects "a large red circle left of a small blue square";
 * 3 objects "a small green triangle, a large red circle and a small blue square from left to right".
 */
export function imageCaption(scene: Scene): string {
  const parts = scene.objects.map(indefinite);
  if (parts.length === 1) return parts[0]!;
  if (parts.length === 2) return `${parts[0]} left of ${parts[1]}`;
  return `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)} from left to right`;
}

/** "moves left" or "stays still". */
export function motionPhrase(o: SceneObject): string {
  return o.motion === 'none' ? 'stays still' : `moves ${o.motion}`;
}

/**
 * The video caption, objects in their starting left-to-right order:
 * "the red circle moves left and the blue square stays still";
 * three: "the red circle moves left, the blue square moves up and the green triangle stays still".
 */
export function videoCaption(scene: Scene): string {
  const parts = scene.objects.map((o) => `${captionName(scene, o)} ${motionPhrase(o)}`);
  if (parts.length === 1) return parts[0]!;
  return `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}`;
}
