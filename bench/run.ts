/** `npm run bench -- <name>…`: runs the named benchmarks (all when none is named). */
// Each benchmark is imported only when it runs: some modules (TF.js's wasm backend, the server
// stack) slow ONNX Runtime in the same process just by being loaded.
const BENCHES: Record<string, () => Promise<unknown>> = {
  engine: async () => (await import('./engine.js')).runEngineBench(),
  moe: async () => (await import('./moe.js')).runMoeBench(),
  serve: async () => (await import('./serve.js')).runServeBench(),
};

const names = process.argv.slice(2).filter((a) => !a.startsWith('-'));
if (process.argv.includes('--help') || process.argv.includes('-h')) {
  console.log(`Usage: npm run bench -- [${Object.keys(BENCHES).join('|')}]…\n\nRuns the named benchmarks (all by default) and prints their numbers.`);
  process.exit(0);
}
for (const n of names) {
  if (!BENCHES[n]) {
    console.error(`unknown benchmark '${n}'; available: ${Object.keys(BENCHES).join(', ')}`);
    process.exit(2);
  }
}
for (const n of names.length ? names : Object.keys(BENCHES)) {
  console.log(`\n=== ${n} ===`);
  await BENCHES[n]!();
}
