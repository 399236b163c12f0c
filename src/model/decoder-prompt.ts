/**
 * What the decoder reads before it writes: `<bos>`, then — when the request
 * has a question or instruction — its tokens and `<sep>`. The question also
 * reaches the decoder through the text modality and the fused tokens; having
 * it in the decoder's own context as well lets every answer token attend to
 * what was asked (as instruction-tuned decoders do).
 */

export interface PromptTokens {
  readonly bosId: number;
  readonly sepId: number;
}

/** Longest question kept in the decoder prompt: a third of the decoder's length, leaving room for the answer. */
export function maxPromptQuestion(decoderMaxLen: number): number {
  return Math.max(0, Math.floor(decoderMaxLen / 3));
}

/** [bos] or [bos, …question, sep] (question cut to maxPromptQuestion). */
export function decoderPrompt(tok: PromptTokens, question: readonly number[] | undefined, decoderMaxLen: number): number[] {
  if (!question || question.length === 0) return [tok.bosId];
  return [tok.bosId, ...question.slice(0, maxPromptQuestion(decoderMaxLen)), tok.sepId];
}
