/** Test helpers: a small deterministic English + Chinese corpus and random Unicode strings. */
import { Random } from '../../graph/random.js';

const EN_SUBJECTS = ['the red circle', 'a small blue square', 'two green triangles', 'the large yellow square', 'three circles', 'one triangle'];
const EN_VERBS = ['moves left', 'moves right', 'is above', 'is below', 'stays still near', 'is next to'];
const EN_OBJECTS = ['the blue square', 'a red triangle', 'the green circle', 'the corner', 'the centre of the image'];
const ZH_SUBJECTS = ['红色的圆', '蓝色的小正方形', '两个绿色的三角形', '黄色的大正方形', '三个圆', '一个三角形'];
const ZH_VERBS = ['向左移动', '向右移动', '在上面', '在下面', '静止不动', '在旁边'];
const ZH_OBJECTS = ['蓝色的正方形', '红色的三角形', '绿色的圆', '图像的中心', '角落'];

/** `n` sentences, alternating English and Chinese, from a seeded template grammar. */
export function tinyCorpus(n = 400, seed = 7): string[] {
  const rng = new Random(seed);
  const pick = <T>(xs: readonly T[]): T => xs[rng.int(xs.length)]!;
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    if (i % 2 === 0) {
      const s = `${pick(EN_SUBJECTS)} ${pick(EN_VERBS)} ${pick(EN_OBJECTS)}.`;
      out.push(s[0]!.toUpperCase() + s.slice(1) + (rng.int(4) === 0 ? ` It's frame ${rng.int(100)}.` : ''));
    } else {
      out.push(`${pick(ZH_SUBJECTS)}${pick(ZH_VERBS)}，${pick(ZH_OBJECTS)}${rng.int(3) === 0 ? '很近' : ''}。`);
    }
  }
  return out;
}

const ASCII = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,;:!?\'"()[]{}<>-_=+*/\\|@#$%^&~`';
const LATIN = 'àáâãäåæçèéêëìíîïñòóôõöøùúûüýÿßœŒÀÉÖÜÇ';
const COMBINING = ['\u0300', '\u0301', '\u0302', '\u0308', '\u0327', '\u20DD'];
const WHITESPACE = [' ', '  ', '\t', '\n', '\r\n', '\n\n', '\u00A0', '\u3000', '\u2028'];
const EMOJI = ['😀', '👍🏽', '👨‍👩‍👧', '🇨🇳', '❤️', '🚀', '𝔘𝔫𝔦', '🀄'];

/** A random string mixing ASCII, Latin accents, Chinese, emoji (surrogate pairs), combining marks and whitespace. */
export function randomUnicode(rng: Random, maxPieces = 24): string {
  const pieces = rng.int(maxPieces + 1);
  let s = '';
  for (let i = 0; i < pieces; i++) {
    const kind = rng.int(8);
    const len = 1 + rng.int(6);
    for (let k = 0; k < len; k++) {
      switch (kind) {
        case 0:
        case 1:
          s += ASCII[rng.int(ASCII.length)];
          break;
        case 2:
          s += LATIN[rng.int(LATIN.length)];
          break;
        case 3:
        case 4:
          s += String.fromCodePoint(0x4e00 + rng.int(0x9fff - 0x4e00 + 1));
          break;
        case 5:
          s += EMOJI[rng.int(EMOJI.length)];
          break;
        case 6:
          s += COMBINING[rng.int(COMBINING.length)];
          break;
        default:
          s += WHITESPACE[rng.int(WHITESPACE.length)];
      }
    }
  }
  // Now and then any code point at all (astral planes, controls, U+FEFF, private use), never a lone surrogate.
  if (rng.int(4) === 0) {
    let cp = rng.int(0x110000);
    if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfeff;
    const cps = Array.from(s); // split at code points, never inside a surrogate pair
    cps.splice(rng.int(cps.length + 1), 0, String.fromCodePoint(cp));
    s = cps.join('');
  }
  return s;
}
