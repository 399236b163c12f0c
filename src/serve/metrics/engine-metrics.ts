/**
 * The engine's observer: turns each BatchEvent into metric updates (queue
 * time, batch size and duration, per-modality encoder latency, gate weights,
 * expert loads, dropped tokens, generated tokens). It only reads.
 */
import { MODALITIES } from '../../model/modalities.js';
import type { BatchEvent, EngineObserver } from '../engine-api.js';
import type { ServeMetrics } from './registry.js';

export function engineMetricsObserver(m: ServeMetrics): EngineObserver {
  /** Cumulative assignments per layer and expert, for the activation rate. */
  const load = new Map<number, number[]>();
  return {
    onBatch(e: BatchEvent): void {
      m.batchSize.observe({ kind: e.kind }, e.size);
      m.batchDuration.observe({ kind: e.kind, signature: e.signature?.join('+') ?? 'decoder' }, e.runSeconds);
      for (const q of e.queueSeconds) m.queueDuration.observe({ kind: e.kind }, q);
      if (e.kind === 'embed' && e.signature?.length === 1) m.encoderDuration.observe({ modality: e.signature[0]! }, e.runSeconds);
      if (e.kind === 'decode') m.generatedTokens.inc(e.tokens ?? e.size);
      if (e.gateWeights && e.signature) {
        for (let b = 0; b < e.size; b++) {
          MODALITIES.forEach((mod, i) => {
            if (e.signature!.includes(mod)) m.gateWeight.observe({ modality: mod }, e.gateWeights![b * MODALITIES.length + i]!);
          });
        }
      }
      for (const s of e.moe ?? []) {
        const layer = String(s.layer);
        const acc = load.get(s.layer) ?? new Array<number>(s.tokensPerExpert.length).fill(0);
        s.tokensPerExpert.forEach((n, x) => {
          acc[x] = (acc[x] ?? 0) + n;
          if (n > 0) m.expertTokens.inc({ layer, expert: String(x) }, n);
        });
        load.set(s.layer, acc);
        const total = acc.reduce((a, b) => a + b, 0);
        acc.forEach((n, x) => m.expertActivation.set({ layer, expert: String(x) }, total > 0 ? n / total : 0));
        m.droppedTokens.inc({ layer }, s.dropped);
        s.tokensPerModalityExpert?.forEach((row, mi) =>
          row.forEach((n, x) => {
            if (n > 0) m.expertModalityTokens.inc({ layer, expert: String(x), modality: MODALITIES[mi]! }, n);
          }),
        );
      }
    },
  };
}
