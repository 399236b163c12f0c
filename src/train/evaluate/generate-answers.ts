/**
 * Batched greedy generation for evaluation: examples grouped by input
 * signature (one encode graph per batch), encoded to the fused tokens, then
 * decoded from [bos] until eos or the decoder's length limit. Every prompt
 * is the single token [bos], so all rows of a batch have one length.
 */
import { decoderPrompt } from '../../model/decoder-prompt.js';
import type { BpeTokenizer } from '../../data/tokenizer/tokenizer.js';
import type { Modality } from '../../model/modalities.js';
import { modelFeeds } from '../batches.js';
import type { DatasetExample } from '../dataset.js';
import { exampleSignature } from '../tasks.js';
import { chunk, decodeGenerated, groupBy, mediaSignature, type EvalRuntime } from './eval-runtime.js';
import type { RoutingAccumulator } from './routing-report.js';

export interface GenerateAnswersOptions {
  /** Examples per encode + generate run. */
  batch: number;
  /** Observes each encode run's routing statistics. */
  routing?: RoutingAccumulator;
  /** Called after each batch with its number of examples. */
  onDone?: (examples: number) => void;
}

/**
 * The decoded greedy output for each example, aligned with `examples`.
 * `text`: 'prompt' feeds the question (prompt) as the text modality with the
 * media; 'none' feeds the media alone.
 */
export async function generateAnswers(
  runtime: EvalRuntime,
  tok: BpeTokenizer,
  examples: readonly DatasetExample[],
  text: 'prompt' | 'none',
  o: GenerateAnswersOptions,
): Promise<string[]> {
  const cfg = runtime.cfg;
  const signatureOf = (ex: DatasetExample): Modality[] => (text === 'prompt' ? exampleSignature(ex, 'prompt') : mediaSignature(ex));
  const indexed = examples.map((ex, i) => ({ ex, i, sig: signatureOf(ex) }));
  const empty = indexed.find((x) => x.sig.length === 0);
  if (empty) throw new Error(`example ${empty.ex.id} (manifest line ${empty.ex.line}) has no input to generate from`);
  const generator = await runtime.generator();
  const out = new Array<string>(examples.length);
  for (const group of groupBy(indexed, (x) => x.sig.join('+')).values()) {
    const sig = group[0]!.sig;
    for (const part of chunk(group, o.batch)) {
      const exs = part.map((x) => x.ex);
      const enc = await runtime.encode(sig, modelFeeds(exs, sig, cfg, tok, 'prompt'));
      o.routing?.add(enc);
      if (!enc.fused || !enc.fused_mask) throw new Error(`the encode graph of ${sig.join('+')} returned no fused tokens`);
      const prompts = exs.map((ex) => decoderPrompt(tok, text === 'prompt' ? ex.prompt : undefined, cfg.decoder.maxLen));
      const ids = await generator.generate(enc.fused, enc.fused_mask, prompts, {
        maxNewTokens: cfg.decoder.maxLen - Math.max(...prompts.map((p) => p.length)),
        eosId: tok.eosId,
      });
      ids.forEach((row, r) => (out[part[r]!.i] = decodeGenerated(tok, row)));
      o.onDone?.(exs.length);
    }
  }
  return out;
}
