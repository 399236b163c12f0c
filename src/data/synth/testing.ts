/**
 * An independent oracle for tests: answers every question template and reads
 * captions back into objects straight from a scene's objects, without using
 * the generator's referring-expression or question code.
 */
import type { Scene, SceneObject } from './scene.js';
import { COLOURS, SHAPES, SIZES } from './vocab.js';

const NUMBERS = ['zero', 'one', 'two', 'three'];
const full = (o: SceneObject) => `a ${o.size} ${o.colour} ${o.shape}`;

/** The one object a phrase like "the large red object" names; throws when it names none or several. */
export function resolveRef(scene: Scene, phrase: string): SceneObject {
  const words = phrase.replace(/^the /, '').split(' ');
  const noun = words.pop()!;
  if (noun !== 'object' && !(SHAPES as readonly string[]).includes(noun)) throw new Error(`'${phrase}': unknown noun '${noun}'`);
  for (const w of words) if (!(SIZES as readonly string[]).includes(w) && !(COLOURS as readonly string[]).includes(w)) throw new Error(`'${phrase}': unknown word '${w}'`);
  const hits = scene.objects.filter((o) => (noun === 'object' || o.shape === noun) && words.every((w) => o.size === w || o.colour === w));
  if (hits.length !== 1) throw new Error(`'${phrase}' names ${hits.length} objects in ${scene.id}`);
  return hits[0]!;
}

/** The answer to `question` about `scene`, derived from the objects alone; throws on an unknown template or an ambiguous question. */
export function oracleAnswer(scene: Scene, question: string): string {
  const objs = scene.objects;
  let m: RegExpMatchArray | null;
  if ((m = question.match(/^what (colour|shape|size) is (the [a-z ]+)\?$/))) {
    const attr = m[1] as 'colour' | 'shape' | 'size';
    const ref = m[2]!;
    const vocab = { colour: COLOURS, shape: SHAPES, size: SIZES }[attr] as readonly string[];
    if (ref.split(' ').some((w) => vocab.includes(w))) throw new Error(`'${question}' gives its own answer away`);
    return resolveRef(scene, ref)[attr];
  }
  if (question === 'how many objects are there?') return NUMBERS[objs.length]!;
  if ((m = question.match(/^how many (circle|square|triangle)s are there\?$/))) return NUMBERS[objs.filter((o) => o.shape === m![1]).length]!;
  if ((m = question.match(/^how many (red|green|blue|yellow) objects are there\?$/))) return NUMBERS[objs.filter((o) => o.colour === m![1]).length]!;
  if ((m = question.match(/^is there a (\w+) (\w+)\?$/))) return objs.some((o) => o.colour === m![1] && o.shape === m![2]) ? 'yes' : 'no';
  if ((m = question.match(/^what is (left|right) of (the [a-z ]+)\?$/))) {
    const ref = resolveRef(scene, m[2]!);
    const side = objs.filter((o) => (m![1] === 'left' ? o.x < ref.x : o.x > ref.x));
    if (side.length !== 1) throw new Error(`'${question}': ${side.length} objects on that side`);
    return full(side[0]!);
  }
  if ((m = question.match(/^is (the [a-z ]+?) (left|right) of (the [a-z ]+)\?$/))) {
    const a = resolveRef(scene, m[1]!);
    const b = resolveRef(scene, m[3]!);
    if (a === b) throw new Error(`'${question}' compares an object with itself`);
    return (m[2] === 'left' ? a.x < b.x : a.x > b.x) ? 'yes' : 'no';
  }
  if ((m = question.match(/^which way does (the [a-z ]+) move\?$/))) {
    const o = resolveRef(scene, m[1]!);
    if (o.motion === 'none') throw new Error(`'${question}': the object does not move`);
    return o.motion;
  }
  if ((m = question.match(/^does (the [a-z ]+) move\?$/))) return resolveRef(scene, m[1]!).motion === 'none' ? 'no' : 'yes';
  if ((m = question.match(/^which object moves (left|right|up|down)\?$/))) {
    const movers = objs.filter((o) => o.motion === m![1]);
    if (movers.length !== 1) throw new Error(`'${question}': ${movers.length} objects move that way`);
    return full(movers[0]!);
  }
  if (question === 'how many objects move?') return NUMBERS[objs.filter((o) => o.motion !== 'none').length]!;
  throw new Error(`unknown question template: '${question}'`);
}

/** The objects an image caption lists, left to right, as "size colour shape" strings. */
export function parseImageCaption(caption: string): string[] {
  const obj = '(\\w+ \\w+ \\w+)';
  let m: RegExpMatchArray | null;
  if ((m = caption.match(new RegExp(`^a ${obj}$`)))) return [m[1]!];
  if ((m = caption.match(new RegExp(`^a ${obj} left of a ${obj}$`)))) return [m[1]!, m[2]!];
  if ((m = caption.match(new RegExp(`^a ${obj}, a ${obj} and a ${obj} from left to right$`)))) return [m[1]!, m[2]!, m[3]!];
  throw new Error(`unknown caption template: '${caption}'`);
}

/** The (object, motion) pairs a video caption states, in order. */
export function parseVideoCaption(scene: Scene, caption: string): Array<{ object: SceneObject; motion: string }> {
  return caption.split(/, | and (?=the )/).map((part) => {
    const m = part.match(/^(the [a-z ]+?) (?:moves (left|right|up|down)|(stays still))$/);
    if (!m) throw new Error(`unknown video caption part: '${part}' in '${caption}'`);
    return { object: resolveRef(scene, m[1]!), motion: m[2] ?? 'none' };
  });
}
