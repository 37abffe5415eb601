import { create } from "@bufbuild/protobuf";
import {
  NodeProtoSchema,
  TensorProto_DataType,
  TensorProtoSchema,
  TensorShapeProto_DimensionSchema,
  TensorShapeProtoSchema,
  TypeProto_TensorSchema,
  TypeProtoSchema,
  ValueInfoProtoSchema,
  type GraphProto,
  type TensorShapeProto_Dimension,
  type ValueInfoProto,
} from "onnx-buf";
import { DECODER_IO } from "../graph/qwen2-5-vl/decoder-graph.js";
import type { LmHead } from "./lm-head.js";

const INT64_MAX = 0x7fff_ffff_ffff_ffffn;

/** Adds the graph output `last_hidden_state = Identity(tap)`, typed like the hidden state. */
export function addHiddenStateOutput(graph: GraphProto, tap: string, names: FreshNames): void {
  const { elemType, dims } = hiddenStateType(graph, tap);
  if (tap !== DECODER_IO.lastHiddenState) {
    graph.node.push(create(NodeProtoSchema, { opType: "Identity", name: names.fresh("/rge/last_hidden_state"), input: [tap], output: [DECODER_IO.lastHiddenState] }));
  }
  graph.output.push(tensorValueInfo(DECODER_IO.lastHiddenState, elemType, dims));
}

/**
 * Adds the int64 scalar input `num_logits_to_keep` and `Slice(hidden, -k, INT64_MAX, axis 1)` in front of the
 * head, so only the last k positions reach it. `-0 = 0` slices from the start, so k = 0 keeps all positions.
 */
export function addLogitsToKeepInput(graph: GraphProto, entry: LmHead["entry"], names: FreshNames): void {
  graph.input.push(tensorValueInfo(DECODER_IO.numLogitsToKeep, TensorProto_DataType.INT64, []));
  const constant = (suffix: string, value: bigint) => {
    const name = names.fresh(`/rge/num_logits_to_keep/${suffix}`);
    graph.initializer.push(
      create(TensorProtoSchema, { name, dims: [1n], dataType: TensorProto_DataType.INT64, int64Data: [value] }),
    );
    return name;
  };
  const node = (opType: string, input: string[]) => {
    const name = names.fresh(`/rge/num_logits_to_keep/${opType}`);
    return create(NodeProtoSchema, { opType, name, input, output: [names.fresh(`${name}_output_0`)] });
  };
  const neg = node("Neg", [DECODER_IO.numLogitsToKeep]);
  const start = node("Reshape", [neg.output[0]!, constant("shape", 1n)]);
  const slice = node("Slice", [entry.tensor, start.output[0]!, constant("end", INT64_MAX), constant("axis", 1n)]);
  graph.node.splice(graph.node.indexOf(entry.node), 0, neg, start, slice);
  entry.node.input[entry.index] = slice.output[0]!;
}

/** Hands out tensor and node names not yet used anywhere in the graph. */
export class FreshNames {
  private readonly used = new Set<string>();

  constructor(graph: GraphProto) {
    for (const v of [...graph.input, ...graph.output, ...graph.valueInfo]) this.used.add(v.name);
    for (const t of graph.initializer) this.used.add(t.name);
    for (const n of graph.node) for (const name of [n.name, ...n.input, ...n.output]) this.used.add(name);
  }

  fresh(candidate: string): string {
    let name = candidate;
    for (let i = 1; this.used.has(name); i++) name = `${candidate}_${i}`;
    this.used.add(name);
    return name;
  }
}

/**
 * The element type and shape of the hidden state: its value_info when the export records one, else the
 * `inputs_embeds` input (same `[B,S,H]`), else the logits' element type with symbolic dims.
 */
function hiddenStateType(graph: GraphProto, tap: string): { elemType: number; dims: TensorShapeProto_Dimension[] } {
  const tensorType = (v: ValueInfoProto | undefined) => (v?.type?.value.case === "tensorType" ? v.type.value.value : undefined);
  const find = (name: string) => [...graph.valueInfo, ...graph.input, ...graph.output].find((v) => v.name === name);
  const known = tensorType(find(tap));
  const embeds = tensorType(find(DECODER_IO.inputsEmbeds));
  const logits = tensorType(find(DECODER_IO.logits));
  const elemType = known?.elemType || embeds?.elemType || logits?.elemType || TensorProto_DataType.FLOAT;
  const shapeOf = (t: typeof known) => (t?.shape?.dim.length === 3 ? t.shape.dim : undefined);
  const symbolic = ["batch_size", "sequence_length", "hidden_size"].map((d) =>
    create(TensorShapeProto_DimensionSchema, { value: { case: "dimParam", value: d } }),
  );
  const dims = shapeOf(known) ?? shapeOf(embeds) ?? symbolic;
  return { elemType, dims: dims.map((d) => create(TensorShapeProto_DimensionSchema, { value: d.value })) };
}

function tensorValueInfo(name: string, elemType: number, dims: TensorShapeProto_Dimension[]): ValueInfoProto {
  const shape = create(TensorShapeProtoSchema, { dim: dims });
  return create(ValueInfoProtoSchema, {
    name,
    type: create(TypeProtoSchema, { value: { case: "tensorType", value: create(TypeProto_TensorSchema, { elemType, shape }) } }),
  });
}
