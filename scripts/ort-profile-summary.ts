/**
 * Where a graph's time goes: prints an ONNX Runtime profile's kernel time per
 * run by op type and its slowest nodes. Profiles come from
 * `mixmodal train --profile DIR` (one file per training session) or any
 * Session created with `profilePrefix`.
 *
 *   npx tsx scripts/ort-profile-summary.ts FILE... [--top N]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { summarizeProfile, type ProfileEvent } from '../src/runtime/ort-profile.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '15' }, help: { type: 'boolean', short: 'h', default: false } },
});
if (values.help || positionals.length === 0) {
  console.log('npx tsx scripts/ort-profile-summary.ts FILE... [--top N]   (files from mixmodal train --profile DIR)');
  process.exit(values.help ? 0 : 1);
}
const top = Number(values.top);
if (!Number.isInteger(top) || top < 1) throw new Error(`--top must be a positive integer, got '${values.top}'`);
for (const file of positionals) {
  let events: ProfileEvent[];
  try {
    events = JSON.parse(readFileSync(file, 'utf8')) as ProfileEvent[];
  } catch (e) {
    throw new Error(`${file}: not an ONNX Runtime profile (${(e as Error).message})`);
  }
  const s = summarizeProfile(events, top);
  console.log(`${file}: ${s.runs} run${s.runs === 1 ? '' : 's'}, ${s.msPerRun.toFixed(1)} ms per run`);
  for (const o of s.byOp.slice(0, top)) console.log(`  ${o.op.padEnd(24)} ${o.msPerRun.toFixed(2).padStart(8)} ms/run  ${(100 * o.share).toFixed(1).padStart(5)}%`);
  console.log('  slowest nodes:');
  for (const n of s.byNode) console.log(`    ${n.msPerRun.toFixed(2).padStart(8)} ms/run  ${n.op.padEnd(16)} ${n.node}`);
}
