/**
 * Quick check of the TF.js reference benchmark:
 *   npx tsx bench/engine-tfjs.check.ts
 */
import * as tf from '@tensorflow/tfjs-core';

import { benchTfjsMlpStep, getTfjsEngineInfo, linearGradMode } from './engine-tfjs.js';

const result = await benchTfjsMlpStep({ batch: 256, dims: [512, 2048, 512], warmup: 2, iters: 5 });
const info = await getTfjsEngineInfo();

console.log('result:', JSON.stringify({ ...result, timesMs: result.timesMs.map((t) => +t.toFixed(2)), medianMs: +result.medianMs.toFixed(2) }));
console.log('variant:', info.variant, `(backend=${info.backend}, threads=${info.threads}, simd=${info.simd}); linear grad: ${linearGradMode()}`);
console.log('tfjs flags: WASM_HAS_SIMD_SUPPORT =', info.simdFlag, ', WASM_HAS_MULTITHREAD_SUPPORT =', info.multithreadFlag);
for (const n of info.notes) console.log('note:', n);
console.log('live tensors after run:', tf.memory().numTensors);
