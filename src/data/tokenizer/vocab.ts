/**
 * The fixed id layout of every mixmodal byte-level BPE tokenizer:
 *
 *   id 0          <pad>   padding (masked out by the encoders)
 *   id 1          <bos>   start of a sequence / of a generated answer
 *   id 2          <eos>   end of a sequence; generation stops on it
 *   id 3          <sep>   separates a question from its answer, or two texts
 *   id 4          <mask>  a masked position (masked-modelling pretraining)
 *   ids 5..260    the 256 byte values 0x00..0xFF (id = byte + BYTE_OFFSET)
 *   ids 261..     one id per learned merge, in merge order (id = MERGE_OFFSET + rank)
 *
 * There is no <unk>: every string is a byte sequence, so every string has an
 * encoding. Special tokens are only ever produced by `encode` options
 * (bos/eos) or by callers; the text "<bos>" is encoded as its bytes.
 */

/** Names of the special tokens, index = id. */
export const SPECIAL_TOKENS = ['<pad>', '<bos>', '<eos>', '<sep>', '<mask>'] as const;
export type SpecialToken = (typeof SPECIAL_TOKENS)[number];

export const PAD_ID = 0;
export const BOS_ID = 1;
export const EOS_ID = 2;
export const SEP_ID = 3;
export const MASK_ID = 4;

/** Id of byte 0x00; byte b has id b + BYTE_OFFSET. */
export const BYTE_OFFSET = SPECIAL_TOKENS.length;
/** Id created by the first merge; merge of rank r creates id MERGE_OFFSET + r. */
export const MERGE_OFFSET = BYTE_OFFSET + 256;
/** Smallest allowed vocabulary: the special tokens and the 256 bytes, no merges. */
export const MIN_VOCAB_SIZE = MERGE_OFFSET;
/** Largest allowed vocabulary (ids must fit the pair keys below). */
export const MAX_VOCAB_SIZE = 1 << 20;

/** One number naming the ordered pair (a, b) of token ids; orders by a, then b. */
export function pairKey(a: number, b: number): number {
  return a * MAX_VOCAB_SIZE + b;
}

/** The ids of a pair key made by {@link pairKey}. */
export function unpairKey(key: number): [number, number] {
  const a = Math.floor(key / MAX_VOCAB_SIZE);
  return [a, key - a * MAX_VOCAB_SIZE];
}
