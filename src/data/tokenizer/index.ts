/** Byte-level BPE tokenizer: training, encoding/decoding, the JSON file. */
export { BpeTokenizer, type DecodeOptions, type EncodeOptions, type Merge } from './tokenizer.js';
export { ChunkCounter, learnMerges, trainBpe, type BpeTrainConfig, type BpeTrainHooks } from './train-bpe.js';
export { loadTokenizer, saveTokenizer, tokenizerFromJson, tokenizerToJson, TOKENIZER_FILE_TYPE, TOKENIZER_FILE_VERSION, type TokenizerJson } from './tokenizer-file.js';
export { pretokenize, PRETOKENIZER_NAME } from './pretokenize.js';
export { readManifestTexts, textsOf, TEXT_FIELDS, type ManifestTextOptions } from './manifest-texts.js';
export * from './vocab.js';
