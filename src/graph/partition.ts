/**
 * Partition of a traced graph at "remote" boundaries (expert parallelism:
 * the dense parts run here, some values are computed elsewhere).
 *
 * The graph marks each boundary l with a cut: an output `cut.output` (the
 * value sent away) and an input `cut.placeholder` (the value that comes
 * back). The partition is an ordered list of segments; segment s computes
 * everything computable from the original inputs and the placeholders of
 * cuts < s. Level of a leaf: 0, or l + 1 for the placeholder of cut l; level
 * of a node: the max level of its inputs; segment s holds the nodes of level s.
 *
 * Running: segment 0 → remote(cut 0) → segment 1 → … → segment L. Segment s
 * outputs the original outputs of its level (cut values included) and the
 * values a later segment reads ("carries", named by their value name), which
 * later segments take as inputs.
 */
import onnxProto from 'onnx-proto';
import { ONNX_DTYPE_CODE } from './dtype.js';
import { buildModelProto, reachableNodes } from './emit-onnx.js';
import type { Graph } from './graph.js';
import type { HostTensor } from './host-tensor.js';
import type { Node } from './node.js';
import type { Value } from './value.js';

const { onnx } = onnxProto;

/** One remote boundary: the output sent away and the input its result is fed to. */
export interface CutSpec {
  /** Name of a graph output (the value sent to the remote side). */
  output: string;
  /** Name of a graph input (fed with the remote result before the next segment). */
  placeholder: string;
}

export interface Segment {
  index: number;
  /** ONNX ModelProto bytes. */
  bytes: Uint8Array;
  /** Graph inputs of the segment: original inputs, placeholders and carries (value names), in ModelProto order. */
  inputs: string[];
  /** Outputs: original outputs of this level (cut outputs included) and carries. */
  outputs: string[];
}

export interface PartitionedGraph {
  segments: Segment[];
  cuts: CutSpec[];
  /** The original outputs that are not cut outputs, in declaration order. */
  finalOutputs: string[];
}

export interface PartitionOptions {
  /** Parameter values to bake in as initializers (others stay graph inputs of the segments that use them). */
  paramValues?: ReadonlyMap<string, HostTensor>;
  /** Free text stored as each segment's doc string. */
  docString?: string;
}

/** Level of every node reachable from the graph's outputs, and of every leaf. */
export function valueLevels(g: Graph, cuts: readonly CutSpec[]): { nodeLevel: Map<Node, number>; levelOf: (v: Value) => number } {
  const placeholderLevel = new Map<Value, number>();
  cuts.forEach((c, l) => placeholderLevel.set(g.getInput(c.placeholder), l + 1));
  const nodeLevel = new Map<Node, number>();
  const levelOf = (v: Value): number => (v.producer ? nodeLevel.get(v.producer)! : (placeholderLevel.get(v) ?? 0));
  for (const n of reachableNodes(g.outputs.map((o) => o.value))) {
    let level = 0;
    for (const x of n.inputs) if (x) level = Math.max(level, levelOf(x));
    nodeLevel.set(n, level);
  }
  return { nodeLevel, levelOf };
}

/** Splits `g` at `cuts` (in execution order) into cuts.length + 1 segments. */
export function partitionGraph(g: Graph, cuts: readonly CutSpec[], o: PartitionOptions = {}): PartitionedGraph {
  const outputByName = new Map(g.outputs.map((x) => [x.name, x.value]));
  const seen = new Set<string>();
  for (const c of cuts) {
    if (!outputByName.has(c.output)) throw new Error(`partition of ${g.name}: cut output ${c.output} is not a graph output`);
    g.getInput(c.placeholder); // throws naming the missing input
    if (seen.has(c.output) || seen.has(c.placeholder)) throw new Error(`partition of ${g.name}: cut ${c.output} / ${c.placeholder} declared twice`);
    seen.add(c.output).add(c.placeholder);
  }
  const { nodeLevel, levelOf } = valueLevels(g, cuts);
  cuts.forEach((c, l) => {
    const level = levelOf(outputByName.get(c.output)!);
    if (level > l) throw new Error(`partition of ${g.name}: cut ${l} (${c.output}) depends on the result of cut ${level - 1} (${cuts[level - 1]!.placeholder})`);
  });

  // Carries: values produced at level s and read by a node of a later level.
  const carriesOf = Array.from({ length: cuts.length + 1 }, () => new Set<Value>());
  for (const [n, level] of nodeLevel) {
    for (const x of n.inputs) {
      if (!x?.producer) continue;
      const from = nodeLevel.get(x.producer)!;
      if (from < level) carriesOf[from]!.add(x);
    }
  }

  const segments: Segment[] = [];
  for (let s = 0; s <= cuts.length; s++) {
    const outputs = g.outputs.filter((x) => levelOf(x.value) === s);
    const carries = [...carriesOf[s]!].sort((a, b) => a.id - b.id);
    for (const v of carries) if (!outputs.some((x) => x.name === v.name)) outputs.push({ name: v.name, value: v });
    if (outputs.length === 0) throw new Error(`partition of ${g.name}: segment ${s} computes nothing (an empty cut?)`);
    const segNodes = new Set([...nodeLevel].filter(([, l]) => l === s).map(([n]) => n.name));
    const carryIns = new Map<string, Value>();
    for (const [n, l] of nodeLevel) {
      if (l !== s) continue;
      for (const x of n.inputs) if (x?.producer && nodeLevel.get(x.producer)! < s) carryIns.set(x.name, x);
    }
    for (const x of outputs) if (x.value.producer && nodeLevel.get(x.value.producer)! < s) carryIns.set(x.value.name, x.value);
    segments.push(emitSegment(g, s, outputs, segNodes, carryIns, o));
  }
  const cutOutputs = new Set(cuts.map((c) => c.output));
  return { segments, cuts: [...cuts], finalOutputs: g.outputs.map((x) => x.name).filter((n) => !cutOutputs.has(n)) };
}

/** The ModelProto of everything the outputs need, with the nodes of other segments removed and their values made inputs. */
function emitSegment(
  g: Graph,
  index: number,
  outputs: { name: string; value: Value }[],
  segNodes: Set<string>,
  carryIns: Map<string, Value>,
  o: PartitionOptions,
): Segment {
  const model = buildModelProto(g, { outputs, paramValues: o.paramValues, docString: o.docString });
  const graph = model.graph!;
  const outputNames = new Set(outputs.map((x) => x.name));
  const nodes = graph.node!.filter((n) => segNodes.has(n.name!) || (n.opType === 'Identity' && outputNames.has(n.output![0]!) && n.name === `output/${n.output![0]}`));
  const used = new Set<string>();
  for (const n of nodes) for (const x of n.input ?? []) if (x) used.add(x);
  const produced = new Set(nodes.flatMap((n) => n.output ?? []));
  for (const x of outputs) if (!produced.has(x.name)) used.add(x.name); // an output that is itself an input (no Identity needed)
  const inputs = graph.input!.filter((x) => used.has(x.name!));
  for (const [name, v] of carryIns) {
    if (used.has(name)) inputs.push({ name, type: { tensorType: { elemType: ONNX_DTYPE_CODE[v.dtype], shape: { dim: v.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } } });
  }
  const proto = onnx.ModelProto.create({
    ...model,
    graph: onnx.GraphProto.create({
      name: `${g.name}.segment${index}`,
      node: nodes,
      input: inputs,
      output: graph.output,
      initializer: graph.initializer!.filter((t) => used.has(t.name!)),
    }),
  });
  return {
    index,
    bytes: onnx.ModelProto.encode(proto).finish(),
    inputs: inputs.map((x) => x.name!),
    outputs: outputs.map((x) => x.name),
  };
}
