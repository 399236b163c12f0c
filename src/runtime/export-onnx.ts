/**
 * Export of an inference graph as a standalone `.onnx` file with the weights
 * inside, loadable by any ONNX Runtime (onnxruntime-node, -web, Python).
 */
import { emitModel, type EmitOptions } from '../graph/emit-onnx.js';
import type { Graph } from '../graph/graph.js';
import type { HostTensor } from '../graph/host-tensor.js';
import type { Value } from '../graph/value.js';
import { writeFileAtomic } from './atomic-write.js';

export interface ExportOptions {
  /** Outputs to export (default: the graph's declared outputs). */
  outputs?: { name: string; value: Value }[];
  /** Free text stored in the model (e.g. the model config as JSON). */
  docString?: string;
  /** Weights read from a file next to the model instead of stored in it (see EmitOptions.externalData). */
  externalData?: EmitOptions['externalData'];
}

/** The ONNX bytes of `g` with every parameter baked in from `params`; a missing parameter is an error. */
export function exportOnnxBytes(g: Graph, params: ReadonlyMap<string, HostTensor>, o: ExportOptions = {}): Uint8Array {
  const missing = [...g.params.keys()].filter((p) => !params.has(p));
  if (missing.length > 0) throw new Error(`cannot export ${g.name}: no value for parameter(s) ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''}`);
  return emitModel(g, { outputs: o.outputs, paramValues: params, docString: o.docString, externalData: o.externalData });
}

/** Writes the exported model to `path` atomically. */
export async function exportOnnx(path: string, g: Graph, params: ReadonlyMap<string, HostTensor>, o: ExportOptions = {}): Promise<void> {
  await writeFileAtomic(path, exportOnnxBytes(g, params, o));
}

/** The values of `g`'s parameters taken from `params`, with an error naming the first missing one. */
export function paramsFor(g: Graph, params: ReadonlyMap<string, HostTensor>): Map<string, HostTensor> {
  const out = new Map<string, HostTensor>();
  for (const path of g.params.keys()) {
    const v = params.get(path);
    if (!v) throw new Error(`graph ${g.name} needs parameter ${path}, which the given weights lack`);
    out.set(path, v);
  }
  return out;
}
