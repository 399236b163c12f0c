/**
 * Training checkpoints: parameters, optimizer state and per-parameter step
 * counts in one safetensors file, written atomically. Parameters are stored
 * under their path (`encoder.layers.0.mlp.fc1.weight`), optimizer state under
 * `optim.<slot>.<path>`; `__metadata__` holds the step counts and the
 * caller's JSON (model config, data position, RNG state...).
 */
import type { HostTensor } from '../graph/host-tensor.js';
import { ParamStore } from './param-store.js';
import { loadSafetensors, saveSafetensors } from './safetensors.js';

export interface Checkpoint {
  params: Map<string, HostTensor>;
  /** Optimizer state keyed `slot:path`. */
  optimizerState: Map<string, HostTensor>;
  /** Optimizer steps taken by each parameter. */
  steps: Map<string, number>;
  /** Free-form JSON-serialisable data saved with the checkpoint. */
  extra: Record<string, unknown>;
}

const STATE_PREFIX = 'optim.';

/** Everything a ParamStore holds, as a checkpoint. */
export function checkpointOf(store: ParamStore, extra: Record<string, unknown> = {}): Checkpoint {
  return { params: store.params(), optimizerState: store.optimizerState(), steps: store.stepCounts(), extra };
}

/** A ParamStore holding a checkpoint's parameters, optimizer state and step counts. */
export function storeOf(ck: Checkpoint): ParamStore {
  return ParamStore.from(ck.params, { state: ck.optimizerState, steps: ck.steps });
}

export async function saveCheckpoint(path: string, ck: Checkpoint): Promise<void> {
  const tensors: Record<string, HostTensor> = {};
  for (const [k, v] of ck.params) tensors[k] = v;
  for (const [k, v] of ck.optimizerState) {
    const [slot, p] = splitStateKey(k);
    tensors[`${STATE_PREFIX}${slot}.${p}`] = v;
  }
  await saveSafetensors(path, tensors, {
    format: 'mixmodal-checkpoint',
    steps: JSON.stringify(Object.fromEntries(ck.steps)),
    extra: JSON.stringify(ck.extra),
    state_slots: JSON.stringify([...new Set([...ck.optimizerState.keys()].map((k) => splitStateKey(k)[0]))]),
  });
}

export async function loadCheckpoint(path: string): Promise<Checkpoint> {
  const { tensors, metadata } = await loadSafetensors(path);
  if (metadata.format !== 'mixmodal-checkpoint') {
    throw new Error(`${path} is a safetensors file but not a mixmodal checkpoint (metadata format = ${metadata.format ?? 'none'})`);
  }
  const slots = parseJson<string[]>(metadata.state_slots ?? '[]', path, 'state_slots');
  const steps = new Map(Object.entries(parseJson<Record<string, number>>(metadata.steps ?? '{}', path, 'steps')));
  const params = new Map<string, HostTensor>();
  const optimizerState = new Map<string, HostTensor>();
  for (const [name, t] of Object.entries(tensors)) {
    const slot = slots.find((s) => name.startsWith(`${STATE_PREFIX}${s}.`));
    if (slot) optimizerState.set(`${slot}:${name.slice(STATE_PREFIX.length + slot.length + 1)}`, t);
    else params.set(name, t);
  }
  return { params, optimizerState, steps, extra: parseJson<Record<string, unknown>>(metadata.extra ?? '{}', path, 'extra') };
}

function parseJson<T>(text: string, path: string, field: string): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new Error(`${path}: metadata field '${field}' is not valid JSON`);
  }
}

function splitStateKey(key: string): [string, string] {
  const i = key.indexOf(':');
  if (i <= 0) throw new Error(`bad optimizer state key ${key} (expected slot:path)`);
  return [key.slice(0, i), key.slice(i + 1)];
}
