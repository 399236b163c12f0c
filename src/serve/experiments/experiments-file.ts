/**
 * The experiments file: an A/B test of routing strategies. Each variant sets
 * the modality gate, experts per token and/or the evaluation capacity factor,
 * and gets a share of the traffic:
 *
 *   { "name": "routing-2024-06",
 *     "variants": [
 *       { "name": "top2", "weight": 0.5, "topK": 2 },
 *       { "name": "top1-uniform", "weight": 0.5, "topK": 1, "gateStrategy": "uniform", "capacityFactor": 0 } ] }
 *
 * Unknown keys, wrong types, weights ≤ 0, duplicate names and a topK above
 * the model's experts are errors naming the variant and the key.
 */
import { readFile } from 'node:fs/promises';
import type { ModelConfig } from '../../model/config.js';
import { validateConfig, type ConfigSchema } from '../../nn/config.js';
import type { RoutingVariant } from '../engine-api.js';

export interface ExperimentVariant extends RoutingVariant {
  /** Share of the traffic, relative to the other variants' weights (> 0). */
  weight: number;
}

export interface ExperimentConfig {
  /** Name of the experiment (part of the assignment hash: a new experiment reshuffles users). */
  name: string;
  /** Two or more variants (one is allowed: a rollout with nothing to compare). */
  variants: ExperimentVariant[];
}

const VARIANT_SCHEMA = {
  name: { type: 'string' },
  weight: { type: 'number', min: 0 },
  gateStrategy: { type: 'enum', values: ['learned', 'uniform'], optional: true },
  topK: { type: 'integer', min: 1, optional: true },
  capacityFactor: { type: 'number', min: 0, optional: true },
} as const satisfies ConfigSchema<ExperimentVariant>;

/** Validates an experiments object; with `cfg`, also checks topK against the model's experts per MoE layer. */
export function parseExperimentConfig(raw: unknown, cfg?: ModelConfig, what = 'experiments file'): ExperimentConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error(`${what}: expected an object with 'name' and 'variants'`);
  const obj = raw as Record<string, unknown>;
  for (const k of Object.keys(obj)) if (k !== 'name' && k !== 'variants') throw new Error(`${what}: unknown key '${k}' (known keys: name, variants)`);
  if (typeof obj.name !== 'string' || obj.name.trim() === '') throw new Error(`${what}: 'name' must be a non-empty string`);
  if (!Array.isArray(obj.variants) || obj.variants.length === 0) throw new Error(`${what}: 'variants' must be a non-empty array`);
  const seen = new Set<string>();
  const variants = obj.variants.map((v, i) => {
    const label = `${what}: variants[${i}]${v && typeof v === 'object' && typeof (v as { name?: unknown }).name === 'string' ? ` ('${(v as { name: string }).name}')` : ''}`;
    const out = validateConfig(v, VARIANT_SCHEMA, label) as ExperimentVariant;
    if (out.name.trim() === '') throw new Error(`${label}: 'name' must be non-empty`);
    if (seen.has(out.name)) throw new Error(`${label}: the name '${out.name}' is used twice (variant names must be unique)`);
    seen.add(out.name);
    if (!(out.weight > 0)) throw new Error(`${label}: 'weight' must be > 0, got ${out.weight}`);
    if (cfg && out.topK !== undefined && out.topK > cfg.fusion.moe.numExperts) {
      throw new Error(`${label}: 'topK' ${out.topK} exceeds the ${cfg.fusion.moe.numExperts} experts per MoE layer of ${cfg.core.name}`);
    }
    return out;
  });
  return { name: obj.name, variants };
}

/** Reads and validates an experiments JSON file (errors name the file). */
export async function loadExperimentConfig(path: string, cfg?: ModelConfig): Promise<ExperimentConfig> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, 'utf8'));
  } catch (e) {
    throw new Error(`${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : `invalid JSON: ${(e as Error).message}`}`);
  }
  return parseExperimentConfig(raw, cfg, path);
}
