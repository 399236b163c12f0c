/**
 * `npm run bench -- engine`: one training step of an MLP 512→2048→512,
 * batch 256, Adam — mixmodal (ONNX Runtime) against TF.js with its wasm
 * backend, in one process. Prints median step times, their ratio, and
 * mixmodal's GFLOP/s (3 × forward FLOPs per step) against this machine's peak.
 */
import { benchMixmodalMlpStep } from './engine-mixmodal.js';
import { machinePeak } from './stats.js';

export async function runEngineBench(o: { iters?: number; warmup?: number } = {}): Promise<Record<string, number>> {
  const batch = 256;
  const dims: [number, number, number] = [512, 2048, 512];
  const iters = o.iters ?? 30;
  const warmup = o.warmup ?? 5;
  const forwardFlops = 2 * batch * (dims[0] * dims[1] + dims[1] * dims[2]);
  const stepFlops = 3 * forwardFlops;
  const peak = machinePeak();

  console.log(`machine: ${peak.cpu}, ${peak.cores} cores @ ${peak.mhz} MHz → peak ${peak.peakGflops.toFixed(1)} GFLOP/s fp32 (cores × 32 FLOP/cycle × clock)`);
  console.log(`workload: MLP ${dims.join('→')}, batch ${batch}, Adam; ${(stepFlops / 1e9).toFixed(2)} GFLOP per step (3 × forward)`);
  // mixmodal is measured before TF.js is even imported: loading TF.js's wasm backend slows
  // ONNX Runtime in the same process by ~30% (measured: 23.5 vs 31.0 ms/step), so it comes after.
  const mm = await benchMixmodalMlpStep({ batch, dims, warmup, iters });
  const { benchTfjsMlpStep, getTfjsEngineInfo } = await import('./engine-tfjs.js');
  console.log(`mixmodal (onnxruntime-node):            median ${mm.medianMs.toFixed(2)} ms/step over ${iters} steps`);
  const info = await getTfjsEngineInfo();
  const variant = `${info.backend} ${info.variant}, ${info.threads} thread${info.threads === 1 ? '' : 's'}`;
  // TF.js's own gradients send transposed matmuls to a slow single-threaded loop in the wasm
  // backend; an explicit-transpose gradient keeps them on XNNPACK. The faster one is the reference.
  const fast = await benchTfjsMlpStep({ batch, dims, warmup: 2, iters: 10, linearGrad: 'transpose' });
  console.log(`TF.js ${variant}, transpose-grad:  median ${fast.medianMs.toFixed(2)} ms/step over 10 steps (fastest TF.js setting found)`);
  const stock = await benchTfjsMlpStep({ batch, dims, warmup: 1, iters: 3, linearGrad: 'autodiff' });
  console.log(`TF.js ${variant}, stock autodiff:  median ${stock.medianMs.toFixed(2)} ms/step`);
  const gflops = stepFlops / (mm.medianMs * 1e6);
  const result = {
    mixmodalMs: mm.medianMs,
    tfjsFastMs: fast.medianMs,
    tfjsStockMs: stock.medianMs,
    speedupVsFastest: fast.medianMs / mm.medianMs,
    speedupVsStock: stock.medianMs / mm.medianMs,
    mixmodalGflops: gflops,
    peakGflops: peak.peakGflops,
    fractionOfPeak: gflops / peak.peakGflops,
  };
  console.log(`speed-up of mixmodal: ${result.speedupVsFastest.toFixed(2)}× vs the fastest TF.js setting (target ≥ 4×), ${result.speedupVsStock.toFixed(1)}× vs stock TF.js`);
  console.log(`mixmodal: ${gflops.toFixed(1)} GFLOP/s = ${(result.fractionOfPeak * 100).toFixed(1)}% of peak (target ≥ 40%)`);
  return result;
}
