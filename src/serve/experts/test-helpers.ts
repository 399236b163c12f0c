/** Shared fixtures of the expert-parallel tests: mm-tiny with dropless routing, random weights, random inputs. */
import { expect } from 'vitest';
import type { HostTensor } from '../../graph/host-tensor.js';
import { Random } from '../../graph/random.js';
import { loadModelConfig } from '../../model/config.js';
import { withMoeOverrides } from '../../model/inference-graphs.js';
import type { Modality } from '../../model/modalities.js';
import { mediaShape } from '../../model/model-inputs.js';
import { randomModelParams } from '../../model/inference-graphs.js';

/** mm-tiny with capacity factor 0 (dropless), so capacity does not depend on how requests are batched. */
export const tinyCfg = withMoeOverrides(loadModelConfig('mm-tiny'), { capacityFactorEval: 0 });
export const TINY_SEED = 3;
export const tinyParams = randomModelParams(tinyCfg, TINY_SEED);

/** Random inputs of a signature for a batch of `b`. */
export function feedsFor(sig: readonly Modality[], seed: number, b = 2): Record<string, HostTensor> {
  const rng = new Random(seed);
  const feeds: Record<string, HostTensor> = {};
  for (const m of sig) {
    if (m === 'text') {
      feeds.text_ids = { dtype: 'int64', shape: [b, 6], data: BigInt64Array.from({ length: b * 6 }, () => BigInt(rng.int(tinyCfg.core.vocabSize))) };
      feeds.text_mask = { dtype: 'bool', shape: [b, 6], data: Uint8Array.from({ length: b * 6 }, (_, i) => (i % 6 < 5 ? 1 : 0)) };
    } else {
      const shape = [b, ...mediaShape(tinyCfg, m)];
      feeds[m] = { dtype: 'float32', shape, data: Float32Array.from({ length: shape.reduce((x, y) => x * y, 1) }, () => rng.nextFloat()) };
    }
  }
  return feeds;
}

/** Same keys, shapes and dtypes; values within `tol` (absolute). */
export function expectOutputsClose(got: Record<string, HostTensor>, want: Record<string, HostTensor>, tol = 1e-5): void {
  expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
  for (const [k, w] of Object.entries(want)) {
    const g = got[k]!;
    expect(g.shape, k).toEqual(w.shape);
    expect(g.dtype, k).toBe(w.dtype);
    const a = Array.from(g.data as ArrayLike<number | bigint>, Number);
    const b = Array.from(w.data as ArrayLike<number | bigint>, Number);
    let worst = 0;
    a.forEach((x, i) => (worst = Math.max(worst, Math.abs(x - b[i]!))));
    expect(worst, `${k}: max |Δ|`).toBeLessThanOrEqual(tol);
  }
}
