/**
 * OpenAI message content → one ModelInput. Text parts are joined (newline)
 * and tokenized with the model's tokenizer (refused past limits.inputTokens,
 * cut to the text encoder's maxTextLen); each media part is decoded to the
 * model's shape — at most one image, one audio clip and one video per input:
 *
 *   { "type": "text", "text": "…" }
 *   { "type": "image_url", "image_url": { "url": "data:image/png;base64,…" } }
 *   { "type": "input_audio", "input_audio": { "data": "<base64>", "format": "wav" } }
 *   { "type": "video", "video": { "data": "<base64>", "format": "mp4" | "webm" | "y4m" } }
 */
import type { BpeTokenizer } from '../../data/tokenizer/tokenizer.js';
import { modalitySignature, type Modality } from '../../model/modalities.js';
import type { ModelInput } from '../engine-api.js';
import { audioInput, imageInput, videoInput, type MediaContext } from './media-inputs.js';
import { badRequest } from './openai-errors.js';

export type ContentPart =
  | { type: 'text'; text: string }
  | { type: 'image_url'; image_url: { url: string; detail?: string } }
  | { type: 'input_audio'; input_audio: { data: string; format: string } }
  | { type: 'video'; video: { data: string; format: string } };

export interface InputContext extends MediaContext {
  tokenizer: BpeTokenizer;
}

/** Token ids of `text`, refused past the limit and cut to the encoder's length. */
export function textTokens(text: string, ctx: InputContext, param: string): number[] {
  const ids = ctx.tokenizer.encode(text);
  if (ids.length > ctx.limits.inputTokens) {
    throw badRequest(param, `'${param}' has ${ids.length} tokens; the limit is ${ctx.limits.inputTokens} (limits.inputTokens)`, 'too_many_tokens');
  }
  return ids.slice(0, ctx.cfg.text.maxTextLen);
}

/** The ModelInput of a message's content (`param` names it in errors, e.g. `messages[2].content`). */
export async function contentToInput(content: string | ContentPart[], ctx: InputContext, param: string): Promise<ModelInput> {
  const parts: ContentPart[] = typeof content === 'string' ? [{ type: 'text', text: content }] : content;
  const texts: string[] = [];
  const tasks: (() => Promise<void>)[] = [];
  const input: ModelInput = { signature: [] };
  const seen = new Map<Modality, string>();
  const once = (m: Modality, p: string) => {
    const first = seen.get(m);
    if (first) throw badRequest(p, `'${p}': only one ${m} per input is supported (the first is '${first}')`, 'too_many_parts');
    seen.set(m, p);
  };
  parts.forEach((part, i) => {
    const p = typeof content === 'string' ? param : `${param}[${i}]`;
    switch (part.type) {
      case 'text':
        if (part.text.trim() !== '') texts.push(part.text);
        return;
      case 'image_url':
        once('image', p);
        tasks.push(async () => void (input.image = await imageInput(part.image_url.url, ctx, `${p}.image_url.url`)));
        return;
      case 'input_audio':
        once('audio', p);
        tasks.push(async () => void (input.audio = await audioInput(part.input_audio.data, part.input_audio.format, ctx, `${p}.input_audio.data`)));
        return;
      case 'video':
        once('video', p);
        tasks.push(async () => void (input.video = await videoInput(part.video.data, part.video.format, ctx, `${p}.video.data`)));
        return;
    }
  });
  if (texts.length > 0) input.textIds = textTokens(texts.join('\n'), ctx, param);
  // decode in parallel; wait for all before failing so no decode outlives the request
  const results = await Promise.allSettled(tasks.map((t) => t()));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  const present: Modality[] = [...seen.keys()];
  if (input.textIds && input.textIds.length > 0) present.push('text');
  else delete input.textIds;
  if (present.length === 0) throw badRequest(param, `'${param}' has no content: give text or a media part`, 'empty_content');
  input.signature = modalitySignature(present);
  return input;
}
