/**
 * A small seeded pseudo-random generator: xoshiro128** (Blackman & Vigna,
 * 2018) over a 128-bit state, keyed by a 128-bit cyrb128 hash.
 *
 * Deterministic across runs and platforms (pure 32-bit integer arithmetic).
 * `fork(label)` derives an independent stream from this stream's *key* and
 * the label only, never from how many numbers were drawn, so
 * `new Random(seed).fork('encoder.fc1.weight')` names one fixed stream.
 */

const TWO_POW_32 = 4294967296;
const TWO_POW_53 = 9007199254740992;

/** cyrb128 (bryc, public domain) over 32-bit words: four well-mixed 32-bit outputs. */
export function hash128(words: readonly number[]): [number, number, number, number] {
  let h1 = 1779033703;
  let h2 = 3144134277;
  let h3 = 1013904242;
  let h4 = 2773480762;
  for (const w of words) {
    const k = w >>> 0;
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
}

/** The UTF-16 code units of `s`, prefixed by its length (so label boundaries are unambiguous). */
function stringWords(s: string): number[] {
  const out = [s.length];
  for (let i = 0; i < s.length; i++) out.push(s.charCodeAt(i));
  return out;
}

const rotl = (x: number, k: number): number => (x << k) | (x >>> (32 - k));

/** A seeded stream of random numbers. */
export class Random {
  /** The 128-bit key naming this stream (what `fork` derives from). */
  private key = new Uint32Array(4);
  /** xoshiro128** state. */
  private readonly s = new Uint32Array(4);
  /** The second Box–Muller variate, kept for the next `normal()` call. */
  private spare: number | null = null;

  /** A stream for an integer seed (any safe integer, negative included). */
  constructor(seed: number) {
    if (!Number.isSafeInteger(seed)) throw new Error(`Random: seed must be a safe integer, got ${seed}`);
    const lo = seed >>> 0;
    const hi = Math.floor(seed / TWO_POW_32) >>> 0;
    this.rekey(hash128([0x5eed5eed, lo, hi]));
  }

  /** An independent stream derived from this stream's key and `label` (not from its draws so far). */
  fork(label: string | number): Random {
    const child = new Random(0);
    child.rekey(hash128([...this.key, ...stringWords(String(label))]));
    return child;
  }

  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1]!, 5), 7), 9) >>> 0;
    const t = s[1]! << 9;
    s[2] = s[2]! ^ s[0]!;
    s[3] = s[3]! ^ s[1]!;
    s[1] = s[1]! ^ s[2]!;
    s[0] = s[0]! ^ s[3]!;
    s[2] = s[2]! ^ t;
    s[3] = rotl(s[3]!, 11);
    return result;
  }

  /** A uniform float in [0, 1) with 53 random bits. */
  nextFloat(): number {
    const a = this.nextUint32() >>> 5; // 27 bits
    const b = this.nextUint32() >>> 6; // 26 bits
    return (a * 67108864 + b) / TWO_POW_53;
  }

  /** A uniform float in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.nextFloat();
  }

  /** A standard normal variate (Box–Muller; the pair's second value is used by the next call). */
  normal(): number {
    if (this.spare !== null) {
      const z = this.spare;
      this.spare = null;
      return z;
    }
    const u1 = 1 - this.nextFloat(); // (0, 1]: log stays finite
    const u2 = this.nextFloat();
    const r = Math.sqrt(-2 * Math.log(u1));
    const theta = 2 * Math.PI * u2;
    this.spare = r * Math.sin(theta);
    return r * Math.cos(theta);
  }

  /** A uniform integer in [0, n), unbiased (rejection sampling); 1 ≤ n ≤ 2³². */
  int(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > TWO_POW_32) throw new Error(`Random.int: n must be an integer in [1, 2^32], got ${n}`);
    const limit = TWO_POW_32 - (TWO_POW_32 % n);
    let u = this.nextUint32();
    while (u >= limit) u = this.nextUint32();
    return u % n;
  }

  private rekey(key: readonly number[]): void {
    this.key = Uint32Array.from(key);
    this.s.set(this.key);
    if (this.s.every((w) => w === 0)) this.s[0] = 1; // the all-zero state is a fixed point
    this.spare = null;
  }
}
