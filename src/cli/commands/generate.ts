/** `mixmodal generate`: answers a prompt about media (or captions them) with the model's decoder. */
import { decoderPrompt } from '../../model/decoder-prompt.js';
import type { HostTensor } from '../../graph/host-tensor.js';
import type { Modality } from '../../model/modalities.js';
import { decodeGenerated } from '../../train/evaluate/eval-runtime.js';
import { numberOption, type Command } from '../command.js';
import { mediaFeed, openModel, textFeeds, type Media } from './embed.js';

const MEDIA: readonly Media[] = ['image', 'audio', 'video'];

export const generateCommand: Command = {
  name: 'generate',
  summary: 'generate an answer or a caption from a prompt and/or image, audio, video',
  help: `Usage: mixmodal generate --model DIR [--image FILE] [--audio FILE] [--video FILE] [--prompt TEXT]
                         [--max-tokens N] [--temperature T] [--top-p P] [--seed S]

Encodes the media and the prompt (as the text modality), fuses them, and lets
the decoder write from <bos>; prints the text. At least one of the media or
--prompt; with media and no prompt the model captions them.

Options:
  --model DIR        model folder (config.json, weights.safetensors, tokenizer.json)
  --image FILE       an image
  --audio FILE       an audio clip (WAV; other formats need ffmpeg)
  --video FILE       a video (Y4M; other formats need ffmpeg)
  --prompt TEXT      the question or instruction
  --max-tokens N     most new tokens (default and limit: the decoder's maxLen − 1)
  --temperature T    0 = greedy (default); > 0 samples
  --top-p P          nucleus sampling mass in (0, 1] (default 1)
  --seed S           sampling seed (default 0)
  -h, --help         show this help

Example:
  mixmodal generate --model runs/mm-small/model --image data/synth/img/s000001.png --prompt "how many objects are there?"`,
  options: {
    model: { type: 'string' },
    image: { type: 'string' },
    audio: { type: 'string' },
    video: { type: 'string' },
    prompt: { type: 'string' },
    'max-tokens': { type: 'string' },
    temperature: { type: 'string' },
    'top-p': { type: 'string' },
    seed: { type: 'string' },
  },
  async run({ values, positionals }) {
    if (positionals.length > 0) throw new Error(`unexpected argument '${positionals[0]}' (give the prompt with --prompt)`);
    const media = MEDIA.filter((m) => values[m] !== undefined);
    const prompt = values.prompt as string | undefined;
    if (media.length === 0 && prompt === undefined) throw new Error('nothing to generate from: give --prompt and/or --image, --audio, --video');
    const temperature = numberOption(values, 'temperature', 0, { min: 0 });
    const topP = numberOption(values, 'top-p', 1, { min: 0 });
    if (!(topP > 0 && topP <= 1)) throw new Error(`--top-p must be in (0, 1], got '${String(values['top-p'])}'`);
    const seed = numberOption(values, 'seed', 0, { integer: true });
    const { folder, runtime } = await openModel(values);
    try {
      const { cfg, tokenizer: tok } = folder;
      // The decoder reads the question too (decoderPrompt), as in training.
      const decoderInput = decoderPrompt(tok, prompt !== undefined ? tok.encode(prompt, { maxLen: cfg.text.maxTextLen }) : undefined, cfg.decoder.maxLen);
      const limit = cfg.decoder.maxLen - decoderInput.length;
      const maxNewTokens = numberOption(values, 'max-tokens', limit, { min: 1, integer: true });
      if (maxNewTokens > limit) throw new Error(`--max-tokens ${maxNewTokens} exceeds what the decoder can write after its prompt (${limit} = maxLen ${cfg.decoder.maxLen} − ${decoderInput.length})`);
      const feeds: Record<string, HostTensor> = prompt !== undefined ? textFeeds(cfg, tok, prompt, 'prompt') : {};
      for (const m of media) feeds[m] = await mediaFeed(cfg, m, values[m] as string);
      const signature: Modality[] = [...(prompt !== undefined ? (['text'] as const) : []), ...media];
      const enc = await runtime.encode(signature, feeds);
      const generator = await runtime.generator();
      const [ids] = await generator.generate(enc.fused!, enc.fused_mask!, [decoderInput], { maxNewTokens, eosId: tok.eosId, temperature, topP, seed });
      console.log(decodeGenerated(tok, ids!));
      return 0;
    } finally {
      await runtime.release();
    }
  },
};
