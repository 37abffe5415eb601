import { create, toBinary } from "@bufbuild/protobuf";
import {
  GraphProtoSchema,
  ModelProtoSchema,
  NodeProtoSchema,
  OperatorSetIdProtoSchema,
  TensorProto_DataType,
  TensorProtoSchema,
  TensorShapeProto_DimensionSchema,
  TensorShapeProtoSchema,
  TypeProto_TensorSchema,
  TypeProtoSchema,
  ValueInfoProtoSchema,
} from "onnx-buf";
import * as ort from "onnxruntime-node";
import type { Float32Tensor, GraphInputs } from "./pages/shared/graph-case.js";

// y = x · W + b with fixed weights: small enough to write by hand, and with fractional values, so a page that
// computes it wrongly (or not at all) cannot match onnxruntime-node by accident. Core's GraphBuilder is not part of
// @rge/core's public exports, hence onnx-buf directly.

const ROWS = 2;
const IN = 4;
const OUT = 3;
const W = Array.from({ length: IN * OUT }, (_, i) => (i - 5) / 7);
const B = [0.5, -0.25, 0.125];

/** The tiny graph's ONNX bytes and an input for it. */
export function tinyGraph(): { bytes: Uint8Array; inputs: GraphInputs } {
  const model = create(ModelProtoSchema, {
    irVersion: 8n,
    producerName: "rge browser tests",
    opsetImport: [create(OperatorSetIdProtoSchema, { domain: "", version: 17n })],
    graph: create(GraphProtoSchema, {
      name: "tiny",
      node: [
        create(NodeProtoSchema, { opType: "MatMul", name: "matmul", input: ["x", "W"], output: ["xw"] }),
        create(NodeProtoSchema, { opType: "Add", name: "add", input: ["xw", "b"], output: ["y"] }),
      ],
      initializer: [weight("W", [IN, OUT], W), weight("b", [OUT], B)],
      input: [valueInfo("x", ["rows", IN])],
      output: [valueInfo("y", ["rows", OUT])],
    }),
  });
  const x = Array.from({ length: ROWS * IN }, (_, i) => Math.sin(i + 1) * 1.5);
  return { bytes: toBinary(ModelProtoSchema, model), inputs: { x: { dims: [ROWS, IN], data: x } } };
}

/** Runs `bytes` on onnxruntime-node's CPU provider: the reference a page's outputs are compared with. */
export async function runOnNode(bytes: Uint8Array, inputs: GraphInputs): Promise<Record<string, Float32Tensor>> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const feeds = Object.fromEntries(Object.entries(inputs).map(([name, t]) => [name, new ort.Tensor("float32", Float32Array.from(t.data), t.dims)]));
    const results = await session.run(feeds);
    return Object.fromEntries(Object.entries(results).map(([name, t]) => [name, { dims: [...t.dims], data: Array.from(t.data as Float32Array) }]));
  } finally {
    await session.release();
  }
}

function weight(name: string, dims: number[], values: number[]) {
  return create(TensorProtoSchema, {
    name,
    dims: dims.map(BigInt),
    dataType: TensorProto_DataType.FLOAT,
    rawData: new Uint8Array(Float32Array.from(values).buffer),
  });
}

function valueInfo(name: string, dims: (number | string)[]) {
  const dim = dims.map((d) =>
    create(TensorShapeProto_DimensionSchema, { value: typeof d === "number" ? { case: "dimValue", value: BigInt(d) } : { case: "dimParam", value: d } }),
  );
  const tensorType = create(TypeProto_TensorSchema, { elemType: TensorProto_DataType.FLOAT, shape: create(TensorShapeProtoSchema, { dim }) });
  return create(ValueInfoProtoSchema, { name, type: create(TypeProtoSchema, { value: { case: "tensorType", value: tensorType } }) });
}
