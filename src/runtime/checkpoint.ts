/**
 * Training checkpoints: parameters, optimizer state and the step count in one
 * safetensors file, written atomically. Parameters are stored under their
 * path (`encoder.layers.0.mlp.fc1.weight`), optimizer state under
 * `optim.<slot>.<path>`; `__metadata__` holds the step count and the
 * caller's JSON (model config, data position, RNG state...).
 */
import type { HostTensor } from '../graph/host-tensor.js';
import { loadSafetensors, saveSafetensors } from './safetensors.js';

export interface Checkpoint {
  params: Map<string, HostTensor>;
  /** Optimizer state keyed `slot:path` (as TrainingSession.optimizerState returns it). */
  optimizerState: Map<string, HostTensor>;
  /** Completed optimizer steps. */
  stepCount: number;
  /** Free-form JSON-serialisable data saved with the checkpoint. */
  extra: Record<string, unknown>;
}

const STATE_PREFIX = 'optim.';

export async function saveCheckpoint(path: string, ck: Checkpoint): Promise<void> {
  const tensors: Record<string, HostTensor> = {};
  for (const [k, v] of ck.params) tensors[k] = v;
  for (const [k, v] of ck.optimizerState) {
    const [slot, p] = splitStateKey(k);
    tensors[`${STATE_PREFIX}${slot}.${p}`] = v;
  }
  await saveSafetensors(path, tensors, {
    format: 'mixmodal-checkpoint',
    step_count: String(ck.stepCount),
    extra: JSON.stringify(ck.extra),
    state_slots: JSON.stringify([...new Set([...ck.optimizerState.keys()].map((k) => splitStateKey(k)[0]))]),
  });
}

export async function loadCheckpoint(path: string): Promise<Checkpoint> {
  const { tensors, metadata } = await loadSafetensors(path);
  if (metadata.format !== 'mixmodal-checkpoint') {
    throw new Error(`${path} is a safetensors file but not a mixmodal checkpoint (metadata format = ${metadata.format ?? 'none'})`);
  }
  const stepCount = Number(metadata.step_count);
  if (!Number.isInteger(stepCount) || stepCount < 0) throw new Error(`${path}: bad step_count ${metadata.step_count}`);
  const slots = JSON.parse(metadata.state_slots ?? '[]') as string[];
  const params = new Map<string, HostTensor>();
  const optimizerState = new Map<string, HostTensor>();
  for (const [name, t] of Object.entries(tensors)) {
    const slot = slots.find((s) => name.startsWith(`${STATE_PREFIX}${s}.`));
    if (slot) optimizerState.set(`${slot}:${name.slice(STATE_PREFIX.length + slot.length + 1)}`, t);
    else params.set(name, t);
  }
  return { params, optimizerState, stepCount, extra: JSON.parse(metadata.extra ?? '{}') as Record<string, unknown> };
}

function splitStateKey(key: string): [string, string] {
  const i = key.indexOf(':');
  if (i <= 0) throw new Error(`bad optimizer state key ${key} (expected slot:path)`);
  return [key.slice(0, i), key.slice(i + 1)];
}
