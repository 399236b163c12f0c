/** `mixmodal inspect FILE`: lists the tensors and metadata of a safetensors checkpoint. */
import { numel } from '../../graph/host-tensor.js';
import { loadSafetensors } from '../../runtime/safetensors.js';
import type { Command } from '../command.js';

export const inspectCommand: Command = {
  name: 'inspect',
  summary: 'list the tensors and metadata of a .safetensors checkpoint',
  help: `Usage: mixmodal inspect FILE.safetensors [--json]

Prints each tensor's name, dtype and shape, the total parameter count and the metadata.

Options:
  --json     print as JSON
  -h, --help show this help

Example:
  mixmodal inspect runs/demo/checkpoint.safetensors`,
  options: { json: { type: 'boolean' } },
  async run({ values, positionals }) {
    const file = positionals[0];
    if (!file) throw new Error('missing FILE (a .safetensors checkpoint)');
    const { tensors, metadata } = await loadSafetensors(file);
    const rows = Object.entries(tensors).map(([name, t]) => ({ name, dtype: t.dtype, shape: t.shape, numel: numel(t.shape) }));
    const total = rows.reduce((s, r) => s + r.numel, 0);
    if (values.json) {
      console.log(JSON.stringify({ tensors: rows, total, metadata }, null, 2));
      return 0;
    }
    const w = Math.max(4, ...rows.map((r) => r.name.length));
    for (const r of rows) console.log(`${r.name.padEnd(w)}  ${r.dtype.padEnd(8)}  [${r.shape.join(', ')}]`);
    console.log(`${rows.length} tensors, ${total.toLocaleString('en-US')} values`);
    for (const [k, v] of Object.entries(metadata)) console.log(`${k}: ${v.length > 200 ? v.slice(0, 200) + '…' : v}`);
    return 0;
  },
};
