/**
 * A GPT-2-style byte-level BPE tokenizer (Sennrich et al. 2016; Radford et al.
 * 2019): text → pre-tokenised chunks → UTF-8 bytes → merges applied by rank
 * within each chunk. Ids follow the fixed layout in ./vocab.ts. Any string of
 * Unicode scalar values round-trips exactly: `decode(encode(s)) === s`.
 * (Lone UTF-16 surrogates are not Unicode text; they encode as U+FFFD, as
 * TextEncoder does.)
 */
import { BinaryHeap } from './heap.js';
import { pretokenize } from './pretokenize.js';
import { BOS_ID, BYTE_OFFSET, EOS_ID, MASK_ID, MAX_VOCAB_SIZE, MERGE_OFFSET, PAD_ID, pairKey, SEP_ID, SPECIAL_TOKENS } from './vocab.js';

/** A learned merge: the ids of the left and right tokens. */
export type Merge = readonly [left: number, right: number];

export interface EncodeOptions {
  /** Prepend <bos> (default false). */
  bos?: boolean;
  /** Append <eos> (default false); kept even when maxLen truncates the text. */
  eos?: boolean;
  /** Longest result, <bos>/<eos> included: text tokens past the budget are dropped. */
  maxLen?: number;
}

export interface DecodeOptions {
  /** Leave out special tokens (default false: they appear as "<bos>", "<eos>", …). */
  skipSpecial?: boolean;
}

/** Chunks longer than this (UTF-16 units) are not cached. */
const CACHE_MAX_CHUNK = 64;
/** The chunk cache is cleared when it holds this many entries. */
const CACHE_MAX_ENTRIES = 50_000;
const TWO_POW_32 = 2 ** 32;

const utf8Encoder = new TextEncoder();
// fatal: false → a partial UTF-8 sequence (e.g. a cut-off generation) becomes U+FFFD;
// ignoreBOM → a leading U+FEFF is text, not a byte-order mark, so it round-trips.
const utf8Decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
const specialBytes = SPECIAL_TOKENS.map((s) => utf8Encoder.encode(s));

export class BpeTokenizer {
  readonly padId = PAD_ID;
  readonly bosId = BOS_ID;
  readonly eosId = EOS_ID;
  readonly sepId = SEP_ID;
  readonly maskId = MASK_ID;
  /** Number of ids: special tokens + 256 bytes + merges. */
  readonly vocabSize: number;
  /** The merges in rank order; merge r creates id MERGE_OFFSET + r. */
  readonly merges: readonly Merge[];
  /** pairKey(left, right) → merge rank. */
  private readonly ranks = new Map<number, number>();
  /** Bytes of each non-special id (index id − BYTE_OFFSET). */
  private readonly bytes: Uint8Array[] = [];
  private readonly cache = new Map<string, Int32Array>();

  /** Checks every merge: both ids must be byte or earlier-merge ids, and no pair may repeat. */
  constructor(merges: readonly Merge[]) {
    if (MERGE_OFFSET + merges.length > MAX_VOCAB_SIZE) {
      throw new Error(`BpeTokenizer: ${merges.length} merges exceed the largest vocabulary (${MAX_VOCAB_SIZE} ids)`);
    }
    for (let b = 0; b < 256; b++) this.bytes.push(Uint8Array.of(b));
    merges.forEach((m, r) => {
      const id = MERGE_OFFSET + r;
      if (!Array.isArray(m) || m.length !== 2) throw new Error(`merges[${r}] must be a pair [left, right] of token ids, got ${JSON.stringify(m)}`);
      for (const x of m) {
        if (!Number.isInteger(x) || x < BYTE_OFFSET || x >= id) {
          throw new Error(`merges[${r}] = ${JSON.stringify(m)}: ids must be integers in [${BYTE_OFFSET}, ${id}) (byte or earlier merge ids), got ${JSON.stringify(x)}`);
        }
      }
      const key = pairKey(m[0], m[1]);
      const prev = this.ranks.get(key);
      if (prev !== undefined) throw new Error(`merges[${r}] = ${JSON.stringify(m)} repeats merges[${prev}]`);
      this.ranks.set(key, r);
      const left = this.bytes[m[0] - BYTE_OFFSET]!;
      const right = this.bytes[m[1] - BYTE_OFFSET]!;
      const joined = new Uint8Array(left.length + right.length);
      joined.set(left);
      joined.set(right, left.length);
      this.bytes.push(joined);
    });
    this.merges = merges.map((m) => [m[0], m[1]] as const);
    this.vocabSize = MERGE_OFFSET + merges.length;
  }

  /** Token ids of `text`. */
  encode(text: string, o: EncodeOptions = {}): number[] {
    const nSpecial = (o.bos ? 1 : 0) + (o.eos ? 1 : 0);
    if (o.maxLen !== undefined && (!Number.isInteger(o.maxLen) || o.maxLen < nSpecial)) {
      throw new Error(`encode: maxLen must be an integer ≥ ${nSpecial} (the requested <bos>/<eos>), got ${o.maxLen}`);
    }
    const budget = o.maxLen === undefined ? Infinity : o.maxLen - nSpecial;
    const ids: number[] = [];
    if (o.bos) ids.push(BOS_ID);
    const start = ids.length;
    for (const chunk of pretokenize(text)) {
      if (ids.length - start >= budget) break;
      for (const id of this.encodeChunk(chunk)) ids.push(id);
    }
    if (ids.length - start > budget) ids.length = start + budget;
    if (o.eos) ids.push(EOS_ID);
    return ids;
  }

  /** Text of `ids`; an incomplete UTF-8 sequence at a cut becomes U+FFFD. */
  decode(ids: ArrayLike<number>, o: DecodeOptions = {}): string {
    return utf8Decoder.decode(this.decodeBytes(ids, o));
  }

  /** The UTF-8 bytes of `ids` (for streaming output that must not split a character). */
  decodeBytes(ids: ArrayLike<number>, o: DecodeOptions = {}): Uint8Array {
    const parts: Uint8Array[] = [];
    let total = 0;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) {
        throw new Error(`decode: token id ${String(id)} at position ${i} is not in this vocabulary (valid ids: 0..${this.vocabSize - 1})`);
      }
      if (id < BYTE_OFFSET && o.skipSpecial) continue;
      const b = id < BYTE_OFFSET ? specialBytes[id]! : this.bytes[id - BYTE_OFFSET]!;
      parts.push(b);
      total += b.length;
    }
    const out = new Uint8Array(total);
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }

  /** The bytes a non-special id stands for, or the UTF-8 of a special token's name. */
  tokenBytes(id: number): Uint8Array {
    if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) throw new Error(`tokenBytes: token id ${id} is not in this vocabulary (valid ids: 0..${this.vocabSize - 1})`);
    return (id < BYTE_OFFSET ? specialBytes[id]! : this.bytes[id - BYTE_OFFSET]!).slice();
  }

  /** Ids of one pre-tokenised chunk: its bytes, merged lowest rank first. */
  private encodeChunk(chunk: string): Int32Array {
    const cached = this.cache.get(chunk);
    if (cached) return cached;
    const ids = this.mergeBytes(utf8Encoder.encode(chunk));
    if (chunk.length <= CACHE_MAX_CHUNK) {
      if (this.cache.size >= CACHE_MAX_ENTRIES) this.cache.clear();
      this.cache.set(chunk, ids);
    }
    return ids;
  }

  /**
   * Applies merges by rank in O(n log n): a linked list over the byte ids and a
   * heap of candidate pairs keyed rank·2³² + position. Pairs made by a merge of
   * rank r always have ranks > r, so equal-rank pairs are merged left to right,
   * exactly as the naive "merge the lowest-rank pair everywhere, repeat".
   */
  private mergeBytes(bytes: Uint8Array): Int32Array {
    const n = bytes.length;
    const sym = new Int32Array(n);
    for (let i = 0; i < n; i++) sym[i] = bytes[i]! + BYTE_OFFSET;
    if (n < 2 || this.ranks.size === 0) return sym;
    const next = new Int32Array(n);
    const prev = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      next[i] = i + 1 < n ? i + 1 : -1;
      prev[i] = i - 1;
    }
    const heap = new BinaryHeap<number>((a, b) => a < b);
    const consider = (i: number): void => {
      const j = next[i]!;
      if (j < 0) return;
      const r = this.ranks.get(pairKey(sym[i]!, sym[j]!));
      if (r !== undefined) heap.push(r * TWO_POW_32 + i);
    };
    for (let i = 0; i < n - 1; i++) consider(i);
    let live = n;
    for (let key = heap.pop(); key !== undefined; key = heap.pop()) {
      const rank = Math.floor(key / TWO_POW_32);
      const i = key - rank * TWO_POW_32;
      const j = next[i]!;
      if (sym[i]! < 0 || j < 0 || this.ranks.get(pairKey(sym[i]!, sym[j]!)) !== rank) continue; // stale entry
      sym[i] = MERGE_OFFSET + rank;
      sym[j] = -1;
      next[i] = next[j]!;
      if (next[i]! >= 0) prev[next[i]!] = i;
      live--;
      if (prev[i]! >= 0) consider(prev[i]!);
      consider(i);
    }
    const out = new Int32Array(live);
    for (let i = 0, k = 0; i >= 0 && i < n; i = next[i]!) out[k++] = sym[i]!;
    return out;
  }
}
