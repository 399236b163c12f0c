/**
 * One generating request between decoder steps: picks its next token from
 * the step's logits (greedy or temperature/top-p sampling with its own
 * seeded generator), and turns tokens into text — stopping at <eos>, at a
 * stop string (cut before it) or at max tokens, and streaming only text that
 * can no longer change (held back: a possible stop-string prefix, a partial
 * UTF-8 character).
 */
import { randomInt } from 'node:crypto';
import { Random } from '../../graph/random.js';
import { sampleToken } from '../../model/sampling.js';
import type { GenerateParams, GenerateResult } from '../engine-api.js';

/** What generation needs of the tokenizer. */
export interface TokenText {
  readonly bosId: number;
  readonly sepId: number;
  readonly eosId: number;
  readonly padId: number;
  /** Ids the tokenizer knows; the model's larger vocabulary (if any) is never sampled past it. */
  readonly vocabSize: number;
  decode(ids: ArrayLike<number>, o?: { skipSpecial?: boolean }): string;
}

export class GenerationState {
  readonly tokens: number[] = [];
  /** The next id to feed the decoder once the prompt has been read. */
  nextInput: number;
  /** What the decoder reads first (decoderPrompt: <bos>, and the question with <sep> when there is one). */
  readonly prompt: number[];
  finishReason?: GenerateResult['finishReason'];
  text = '';
  private emitted = 0;
  private readonly rng: Random;
  private readonly maxStop: number;

  constructor(
    readonly params: GenerateParams,
    private readonly tok: TokenText,
    /** Most new tokens (already capped by the decoder's length). */
    readonly maxNew: number,
    /** Real tokens the decoder reads (known after encode). */
    public promptTokens: number,
    private readonly onToken?: (text: string) => void,
    prompt?: number[],
  ) {
    this.prompt = prompt ?? [tok.bosId];
    this.nextInput = tok.bosId;
    this.rng = new Random(params.seed ?? randomInt(2 ** 31));
    this.maxStop = Math.max(0, ...params.stop.map((s) => s.length));
  }

  get done(): boolean {
    return this.finishReason !== undefined;
  }

  /** The next token from one row of logits [V]. */
  sample(logits: Float32Array): number {
    const v = Math.min(logits.length, this.tok.vocabSize);
    return sampleToken(v < logits.length ? logits.subarray(0, v) : logits, { temperature: this.params.temperature, topP: this.params.topP }, this.rng);
  }

  /** Takes the sampled token; returns true when the request is finished. */
  accept(token: number): boolean {
    if (this.done) return true;
    if (token === this.tok.eosId) return this.finish('stop');
    this.tokens.push(token);
    this.nextInput = token;
    this.text = this.tok.decode(this.tokens, { skipSpecial: true });
    if (this.maxStop > 0) {
      const from = Math.max(0, this.emitted - this.maxStop);
      let cut = -1;
      for (const s of this.params.stop) {
        const i = this.text.indexOf(s, from);
        if (i >= 0 && (cut < 0 || i < cut)) cut = i;
      }
      if (cut >= 0) {
        this.text = this.text.slice(0, cut);
        return this.finish('stop');
      }
    }
    if (this.tokens.length >= this.maxNew) return this.finish('length');
    this.emit(this.safeEnd());
    return false;
  }

  /** Ends the request (eos, stop string, length), streaming what is left. */
  finish(reason: GenerateResult['finishReason']): true {
    this.finishReason = reason;
    this.emit(this.text.length);
    return true;
  }

  result(): GenerateResult {
    return { text: this.text, tokens: [...this.tokens], finishReason: this.finishReason ?? 'length', promptTokens: this.promptTokens };
  }

  /** End of the text that can be streamed: not a trailing partial character, nor a prefix of a stop string. */
  private safeEnd(): number {
    let end = this.text.length;
    if (this.text.endsWith('\uFFFD')) end--; // maybe the first bytes of a character the next token completes
    for (const s of this.params.stop) {
      for (let k = Math.min(s.length - 1, end); k > 0; k--) {
        if (this.text.slice(end - k, end) === s.slice(0, k)) {
          end -= k;
          break;
        }
      }
    }
    return Math.max(end, this.emitted);
  }

  private emit(end: number): void {
    if (end <= this.emitted) return;
    const piece = this.text.slice(this.emitted, end);
    this.emitted = end;
    this.onToken?.(piece);
  }
}
