/**
 * Emission of a traced graph as an ONNX ModelProto (opset 21). Only what the
 * requested outputs depend on is emitted. Parameters become graph inputs
 * (training) or initializers with given values (inference export).
 */
import onnxProto from 'onnx-proto';
import { DTYPE_BYTES, ONNX_DTYPE_CODE, type DType } from './dtype.js';
import type { Graph } from './graph.js';
import { numel, type HostTensor } from './host-tensor.js';
import type { AttrValue, Node } from './node.js';
import { getOpSchema, type AttrType } from './op-schema.js';
import type { Shape } from './shape.js';
import type { Value } from './value.js';

const { onnx } = onnxProto;
export const OPSET = 21;

export interface EmitOptions {
  /** Outputs to emit (default: the graph's declared outputs). */
  outputs?: { name: string; value: Value }[];
  /** Parameter values to bake in as initializers; parameters not listed stay graph inputs. */
  paramValues?: ReadonlyMap<string, HostTensor>;
  /** Free text stored as the model's doc string. */
  docString?: string;
  /**
   * Baked parameters stored outside the model, in a file next to it (ONNX
   * external data): `location` relative to the .onnx file, and each
   * parameter's byte range there. Parameters without a range stay inline.
   */
  externalData?: { location: string; ranges: ReadonlyMap<string, { offset: number; length: number }> };
}

/** Builds the ModelProto object (for inspection); `emitModel` serialises it. */
export function buildModelProto(g: Graph, o: EmitOptions = {}): onnxProto.onnx.ModelProto {
  const outputs = o.outputs ?? g.outputs;
  if (outputs.length === 0) throw new Error(`graph ${g.name} has no outputs to emit`);
  const nodes = reachableNodes(outputs.map((x) => x.value));
  const leaves = new Set<Value>();
  for (const n of nodes) for (const x of n.inputs) if (x && x.kind !== 'node') leaves.add(x);
  for (const { value } of outputs) if (value.kind !== 'node') leaves.add(value);

  const paramValueByName = new Map<string, HostTensor>();
  for (const path of o.paramValues?.keys() ?? []) {
    if (!g.params.has(path)) throw new Error(`graph ${g.name} has no parameter ${path} (given a value for it)`);
  }
  for (const [path, info] of g.params) {
    const v = o.paramValues?.get(path);
    if (v) {
      if (v.dtype !== info.value.dtype || v.shape.join() !== info.value.shape.join()) {
        throw new Error(`parameter ${path}: value is ${v.dtype}[${v.shape}] but the graph wants ${info.value.dtype}[${info.value.shape}]`);
      }
      paramValueByName.set(info.value.name, v);
    }
  }
  const graphInputs: onnxProto.onnx.IValueInfoProto[] = [];
  const initializers: onnxProto.onnx.ITensorProto[] = [];
  const ordered = [...g.inputs, ...[...g.params.values()].map((p) => p.value)];
  for (const v of ordered) {
    if (!leaves.has(v)) continue;
    const baked = paramValueByName.get(v.name);
    const range = o.externalData?.ranges.get(v.name);
    if (baked && range && o.externalData) initializers.push(externalTensorProto(v.name, baked, o.externalData.location, range));
    else if (baked) initializers.push(tensorProto(v.name, baked));
    else graphInputs.push(valueInfo(v.name, v.dtype, v.shape));
  }
  for (const v of leaves) if (v.kind === 'const') initializers.push(tensorProto(v.name, v.constData!));

  const nodeProtos = nodes.map(nodeProto);
  const outputInfos = outputs.map(({ name, value }) => {
    if (name !== value.name) nodeProtos.push(onnx.NodeProto.create({ opType: 'Identity', name: `output/${name}`, input: [value.name], output: [name] }));
    return valueInfo(name, value.dtype, value.shape);
  });

  return onnx.ModelProto.create({
    irVersion: 10,
    producerName: 'mixmodal',
    producerVersion: '0.1.0',
    docString: o.docString ?? '',
    opsetImport: [onnx.OperatorSetIdProto.create({ domain: '', version: OPSET })],
    graph: onnx.GraphProto.create({ name: g.name, node: nodeProtos, input: graphInputs, output: outputInfos, initializer: initializers }),
  });
}

/** Serialises the graph to ONNX bytes, ready for an InferenceSession or a `.onnx` file. */
export function emitModel(g: Graph, o: EmitOptions = {}): Uint8Array {
  return onnx.ModelProto.encode(buildModelProto(g, o)).finish();
}

/** Nodes the given values depend on, in creation (= topological) order. */
export function reachableNodes(roots: readonly Value[]): Node[] {
  const seen = new Set<Node>();
  const stack = roots.map((v) => v.producer).filter((n): n is Node => !!n);
  while (stack.length) {
    const n = stack.pop()!;
    if (seen.has(n)) continue;
    seen.add(n);
    for (const x of n.inputs) if (x?.producer && !seen.has(x.producer)) stack.push(x.producer);
  }
  return [...seen].sort((a, b) => a.id - b.id);
}

function nodeProto(n: Node): onnxProto.onnx.INodeProto {
  const schema = getOpSchema(n.opType);
  const inputs = n.inputs.map((x) => (x ? x.name : ''));
  while (inputs.length && inputs[inputs.length - 1] === '') inputs.pop();
  return onnx.NodeProto.create({
    opType: n.opType,
    name: n.name,
    input: inputs,
    output: n.outputs.map((v) => v.name),
    attribute: Object.entries(n.attrs).map(([k, v]) => attributeProto(k, schema.attrs[k]!, v)),
  });
}

function attributeProto(name: string, type: AttrType, v: AttrValue): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  switch (type) {
    case 'int':
      return { name, type: T.INT, i: v as number };
    case 'float':
      return { name, type: T.FLOAT, f: v as number };
    case 'string':
      return { name, type: T.STRING, s: new TextEncoder().encode(v as string) };
    case 'ints':
      return { name, type: T.INTS, ints: v as number[] };
    case 'floats':
      return { name, type: T.FLOATS, floats: v as number[] };
    case 'tensor':
      return { name, type: T.TENSOR, t: tensorProto(name, v as HostTensor) };
  }
}

/** A TensorProto with little-endian raw data. */
export function tensorProto(name: string, t: HostTensor): onnxProto.onnx.ITensorProto {
  const n = numel(t.shape);
  const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, n * DTYPE_BYTES[t.dtype]);
  return { name, dims: [...t.shape], dataType: ONNX_DTYPE_CODE[t.dtype], rawData: bytes };
}

/** A TensorProto whose data lives in `location` at `range` (ONNX external data). */
function externalTensorProto(name: string, t: HostTensor, location: string, range: { offset: number; length: number }): onnxProto.onnx.ITensorProto {
  const expected = numel(t.shape) * DTYPE_BYTES[t.dtype];
  if (range.length !== expected) throw new Error(`external data for ${name}: ${range.length} bytes, but ${t.dtype}[${t.shape}] needs ${expected}`);
  return {
    name,
    dims: [...t.shape],
    dataType: ONNX_DTYPE_CODE[t.dtype],
    dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
    externalData: [
      { key: 'location', value: location },
      { key: 'offset', value: String(range.offset) },
      { key: 'length', value: String(range.length) },
    ],
  };
}

function valueInfo(name: string, dtype: DType, shape: Shape): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: ONNX_DTYPE_CODE[dtype],
        shape: { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}
