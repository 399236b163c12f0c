/**
 * The decoder's two inference graphs. `memory` projects fused multimodal
 * tokens into every block's cross-attention keys/values (once per request);
 * `step` takes new token ids with their positions and the padded KV cache of
 * each row (with a mask of its real slots) and returns each row's
 * next-token logits and the extended caches.
 *
 * Rows of one step may read different numbers of new tokens (prefilling
 * prompts of different lengths in one run): they are right-padded to the
 * longest, `new_mask` says which new tokens are real, and a row's logits are
 * taken at its last real one. Causal attention keeps padding invisible to
 * the real tokens before it; the caller marks the padded slots of `present`
 * as not real in the next `past_mask`.
 */
import { Graph } from '../graph/graph.js';
import { TextDecoder, type TextDecoderConfig } from './text-decoder.js';

/** Names of the decoder graphs' inputs and outputs for layer i. */
export const cacheNames = (i: number) => ({
  pastK: `past_k.${i}`,
  pastV: `past_v.${i}`,
  presentK: `present_k.${i}`,
  presentV: `present_v.${i}`,
  memK: `mem_k.${i}`,
  memV: `mem_v.${i}`,
});

/** Traces the memory-projection and step graphs of a decoder whose parameters live under `scope`. */
export function buildDecoderGraphs(cfg: TextDecoderConfig, scope = 'decoder'): { memory: Graph; step: Graph } {
  const dh = cfg.dim / cfg.heads;
  const memory = new Graph('decoder-memory');
  const mem = memory.input('memory', 'float32', ['batch', 'mem', cfg.memoryDim ?? cfg.dim]);
  new TextDecoder(memory, scope, cfg).projectMemory(mem).forEach((kv, i) => {
    memory.output(cacheNames(i).memK, kv.k); // [B, H, S, d_h]
    memory.output(cacheNames(i).memV, kv.v); // [B, H, S, d_h]
  });

  const step = new Graph('decoder-step');
  const ids = step.input('ids', 'int64', ['batch', 'new']);
  const positions = step.input('positions', 'int64', ['batch', 'new']);
  const newMask = step.input('new_mask', 'bool', ['batch', 'new']);
  const pastMask = step.input('past_mask', 'bool', ['batch', 'past']);
  const memoryMask = step.input('memory_mask', 'bool', ['batch', 'mem']);
  const layerInputs = Array.from({ length: cfg.layers }, (_, i) => {
    const n = cacheNames(i);
    return {
      past: { k: step.input(n.pastK, 'float32', ['batch', cfg.heads, 'past', dh]), v: step.input(n.pastV, 'float32', ['batch', cfg.heads, 'past', dh]) },
      mem: { k: step.input(n.memK, 'float32', ['batch', cfg.heads, 'mem', dh]), v: step.input(n.memV, 'float32', ['batch', cfg.heads, 'mem', dh]) },
    };
  });
  const dec = new TextDecoder(step, scope, cfg);
  const r = dec.applyCached(
    ids,
    layerInputs.map((l) => l.past),
    layerInputs.map((l) => l.mem),
    memoryMask,
    { positions, pastMask, newMask },
  );
  step.output('logits', r.logits); // [B, V] at each row's last real new token
  r.present.forEach((kv, i) => {
    step.output(cacheNames(i).presentK, kv.k); // [B, H, P + T_new, d_h]
    step.output(cacheNames(i).presentV, kv.v); // [B, H, P + T_new, d_h]
  });
  return { memory, step };
}
