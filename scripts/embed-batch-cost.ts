/**
 * What batching can gain on text embeddings, without HTTP: times the demo
 * model's embed graph (text encoder + projection head) and its encode graph
 * (text encoder + fusion, what a chat encodes) on B rows of T tokens, one
 * process, nothing else running, and prints milliseconds per run and per row.
 *
 *   npx tsx scripts/embed-batch-cost.ts [--model models/mm-small-synth] [--tokens 26] [--threads 2]
 */
import { parseArgs } from 'node:util';
import type { HostTensor } from '../src/graph/host-tensor.js';
import { ModelRuntime } from '../src/model/model-runtime.js';
import { loadModelFolder } from '../src/train/model-folder.js';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'models/mm-small-synth' },
    tokens: { type: 'string', default: '26' },
    threads: { type: 'string', default: '2' },
  },
});
const T = Number(values.tokens);
const threads = Number(values.threads);
if (!Number.isInteger(T) || T < 1) throw new Error(`--tokens must be a positive integer, got '${values.tokens}'`);
if (!Number.isInteger(threads) || threads < 1) throw new Error(`--threads must be a positive integer, got '${values.threads}'`);

const folder = await loadModelFolder(values.model!);
const runtime = new ModelRuntime(folder.cfg, folder.params, { threads, spinning: false }); // as `mixmodal serve` runs it
try {
  console.log(`${values.model}: ${T} tokens per row, ${threads} ONNX Runtime threads`);
  for (const graph of ['embed', 'encode'] as const) {
    for (const B of [1, 4, 16, 32]) {
      const feeds: Record<string, HostTensor> = {
        text_ids: { dtype: 'int64', shape: [B, T], data: new BigInt64Array(B * T).fill(5n) }, // [B, T]
        text_mask: { dtype: 'bool', shape: [B, T], data: new Uint8Array(B * T).fill(1) }, // [B, T]
      };
      const run = () => (graph === 'embed' ? runtime.embed(['text'], feeds) : runtime.encode(['text'], feeds));
      for (let i = 0; i < 20; i++) await run(); // warm-up
      const n = Math.max(20, Math.round(400 / B));
      const t0 = performance.now();
      for (let i = 0; i < n; i++) await run();
      const ms = (performance.now() - t0) / n;
      console.log(`${graph.padEnd(6)} B ${String(B).padStart(2)}: ${ms.toFixed(3).padStart(7)} ms per run, ${(ms / B).toFixed(3)} ms per row`);
    }
  }
} finally {
  await runtime.release();
}
