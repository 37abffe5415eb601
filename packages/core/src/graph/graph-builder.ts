import { create, toBinary } from "@bufbuild/protobuf";
import {
  AttributeProto_AttributeType,
  AttributeProtoSchema,
  GraphProtoSchema,
  ModelProtoSchema,
  NodeProtoSchema,
  OperatorSetIdProtoSchema,
  StringStringEntryProtoSchema,
  TensorProto_DataLocation,
  TensorProto_DataType,
  TensorProtoSchema,
  TensorShapeProto_DimensionSchema,
  TensorShapeProtoSchema,
  TypeProto_TensorSchema,
  TypeProtoSchema,
  ValueInfoProtoSchema,
  type AttributeProto,
  type NodeProto,
  type TensorProto,
  type ValueInfoProto,
} from "onnx-buf";
import type { ExternalDataWriter } from "./external-data.js";
import { float32ToFloat16Bits } from "./float16.js";
import { FP32, type Precision } from "./precision.js";
import { asFloat32, elementCount, type ElementType, type TensorData } from "./tensor-data.js";

/** A dimension of a graph input or output: a fixed size or a symbolic name such as "batch_size". */
export type Dim = number | string;

/** Attribute values the builder can encode; arrays of numbers become ints unless `floats` is used. */
export type AttributeValue = number | bigint | string | number[] | bigint[] | { floats: number[] } | { float: number } | TensorData;

const DATA_TYPE: Record<ElementType, TensorProto_DataType> = {
  float32: TensorProto_DataType.FLOAT,
  float16: TensorProto_DataType.FLOAT16,
  int64: TensorProto_DataType.INT64,
  int32: TensorProto_DataType.INT32,
  uint8: TensorProto_DataType.UINT8,
  int8: TensorProto_DataType.INT8,
  bool: TensorProto_DataType.BOOL,
};

/** ONNX TensorProto data type number for an element type. */
export function onnxDataType(dtype: ElementType): TensorProto_DataType {
  return DATA_TYPE[dtype];
}

/**
 * Builds an ONNX graph node by node. Every op returns the name of its (first) output, so graphs read as
 * expressions: `g.op("MatMul", [x, w])`. Weights above `externalThreshold` bytes go to the external data
 * writer as soon as they are added, so a multi-GB model is never held in memory twice.
 */
export class GraphBuilder {
  private readonly nodes: NodeProto[] = [];
  private readonly initializers: TensorProto[] = [];
  private readonly inputs: ValueInfoProto[] = [];
  private readonly outputs: ValueInfoProto[] = [];
  private readonly usedNames = new Set<string>();
  private readonly constants = new Map<string, string>();
  private counter = 0;

  /** How weights are stored and activations computed (default: float32 throughout). */
  readonly precision: Precision;

  constructor(
    readonly name: string,
    private readonly options: { external?: ExternalDataWriter; externalThreshold?: number; precision?: Precision } = {},
  ) {
    this.precision = options.precision ?? FP32;
  }

  /** Element type activations are computed in. */
  get floatType(): ElementType {
    return this.precision.float;
  }

  /** Adds a float32 weight, stored in the compute type (or `as`). */
  floatWeight(name: string, data: TensorData, as: ElementType = this.floatType): string {
    if (as === "float32" || data.dtype !== "float32") return this.initializer(name, data);
    const bits = float32ToFloat16Bits(asFloat32(data));
    return this.initializer(name, { dtype: "float16", dims: data.dims, bytes: new Uint8Array(bits.buffer) });
  }

  /** A scalar constant in the compute type. */
  float(value: number): string {
    if (this.floatType === "float32") return this.float32(value);
    const key = `f16:${value}`;
    const bits = float32ToFloat16Bits(Float32Array.of(value));
    return this.sharedConstant(key, { dtype: "float16", dims: [], bytes: new Uint8Array(bits.buffer) });
  }

  /** Casts `x` to `to` unless the graph already computes in it. */
  cast(x: string, from: ElementType, to: ElementType): string {
    return from === to ? x : this.op("Cast", [x], { attrs: { to: onnxDataType(to) } });
  }

  input(name: string, dtype: ElementType, dims: Dim[]): string {
    this.inputs.push(valueInfo(name, dtype, dims));
    this.usedNames.add(name);
    return name;
  }

  /** Declares `value` as a graph output named `name` (through an Identity when the names differ). */
  output(value: string, name: string, dtype: ElementType, dims: Dim[]): void {
    if (value !== name) this.op("Identity", [value], { outputs: [name] });
    this.outputs.push(valueInfo(name, dtype, dims));
  }

  /** Adds a weight; returns its name. */
  initializer(name: string, data: TensorData): string {
    const tensor = create(TensorProtoSchema, {
      name,
      dims: data.dims.map(BigInt),
      dataType: DATA_TYPE[data.dtype],
    });
    const threshold = this.options.externalThreshold ?? 1024;
    if (this.options.external && data.bytes.byteLength >= threshold) {
      const { location, offset, length } = this.options.external.append(data.bytes);
      tensor.dataLocation = TensorProto_DataLocation.EXTERNAL;
      tensor.externalData = [
        create(StringStringEntryProtoSchema, { key: "location", value: location }),
        create(StringStringEntryProtoSchema, { key: "offset", value: String(offset) }),
        create(StringStringEntryProtoSchema, { key: "length", value: String(length) }),
      ];
    } else {
      tensor.rawData = new Uint8Array(data.bytes) as Uint8Array<ArrayBuffer>;
    }
    this.initializers.push(tensor);
    this.usedNames.add(name);
    return name;
  }

  /** An int64 constant (scalar when `value` is a number), shared between uses. */
  int64(value: number | bigint | readonly (number | bigint)[]): string {
    const key = `i64:${Array.isArray(value) ? `[${value.join(",")}]` : String(value)}`;
    const values = Array.isArray(value) ? value : [value as number | bigint];
    const dims = Array.isArray(value) ? [values.length] : [];
    return this.sharedConstant(key, {
      dtype: "int64",
      dims,
      bytes: new Uint8Array(BigInt64Array.from(values, (v) => BigInt(v)).buffer),
    });
  }

  /** A float32 constant (scalar when `value` is a number), shared between uses. */
  float32(value: number | readonly number[], dims?: number[]): string {
    const values = typeof value === "number" ? [value] : value;
    const shape = dims ?? (typeof value === "number" ? [] : [values.length]);
    if (elementCount(shape) !== values.length) throw new Error(`float32 constant: ${values.length} values for [${shape}]`);
    const key = `f32:[${shape}]:${values.join(",")}`;
    return this.sharedConstant(key, { dtype: "float32", dims: shape, bytes: new Uint8Array(Float32Array.from(values).buffer) });
  }

  /**
   * Appends a node. `outputs` may name the outputs or give their count; returns the first output name
   * (use {@link opMulti} when a node has several outputs).
   */
  op(
    opType: string,
    inputs: string[],
    options: { attrs?: Record<string, AttributeValue>; outputs?: string[] | number; domain?: string; name?: string } = {},
  ): string {
    return this.opMulti(opType, inputs, options)[0]!;
  }

  opMulti(
    opType: string,
    inputs: string[],
    options: { attrs?: Record<string, AttributeValue>; outputs?: string[] | number; domain?: string; name?: string } = {},
  ): string[] {
    const base = options.name ?? this.fresh(opType);
    const outs =
      typeof options.outputs === "number" || options.outputs === undefined
        ? Array.from({ length: (options.outputs as number | undefined) ?? 1 }, (_, i) => this.freshName(`${base}/out${i}`))
        : options.outputs;
    for (const o of outs) this.usedNames.add(o);
    const node = create(NodeProtoSchema, {
      opType,
      name: base,
      input: inputs,
      output: outs,
      domain: options.domain ?? "",
      attribute: Object.entries(options.attrs ?? {}).map(([k, v]) => attribute(k, v)),
    });
    this.nodes.push(node);
    return outs;
  }

  /** Serializes the model. Opsets default to ONNX 17 plus com.microsoft 1 when any node uses it. */
  toBytes(meta: { producer?: string; docString?: string; metadata?: Record<string, string> } = {}): Uint8Array {
    const usesMs = this.nodes.some((n) => n.domain === "com.microsoft");
    const model = create(ModelProtoSchema, {
      irVersion: 8n,
      producerName: meta.producer ?? "@rge/core",
      docString: meta.docString ?? "",
      opsetImport: [
        create(OperatorSetIdProtoSchema, { domain: "", version: 17n }),
        ...(usesMs ? [create(OperatorSetIdProtoSchema, { domain: "com.microsoft", version: 1n })] : []),
      ],
      metadataProps: Object.entries(meta.metadata ?? {}).map(([key, value]) =>
        create(StringStringEntryProtoSchema, { key, value }),
      ),
      graph: create(GraphProtoSchema, {
        name: this.name,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      }),
    });
    return toBinary(ModelProtoSchema, model);
  }

  private sharedConstant(key: string, data: TensorData): string {
    const existing = this.constants.get(key);
    if (existing) return existing;
    const name = this.freshName(`const_${this.constants.size}`);
    const tensor = create(TensorProtoSchema, {
      name,
      dims: data.dims.map(BigInt),
      dataType: DATA_TYPE[data.dtype],
      rawData: new Uint8Array(data.bytes) as Uint8Array<ArrayBuffer>,
    });
    this.initializers.push(tensor);
    this.constants.set(key, name);
    return name;
  }

  private fresh(prefix: string): string {
    return this.freshName(`/${prefix}_${this.counter++}`);
  }

  private freshName(candidate: string): string {
    let name = candidate;
    for (let i = 1; this.usedNames.has(name); i++) name = `${candidate}_${i}`;
    this.usedNames.add(name);
    return name;
  }
}

function valueInfo(name: string, dtype: ElementType, dims: Dim[]): ValueInfoProto {
  const shape = create(TensorShapeProtoSchema, {
    dim: dims.map((d) =>
      create(TensorShapeProto_DimensionSchema, {
        value: typeof d === "number" ? { case: "dimValue", value: BigInt(d) } : { case: "dimParam", value: d },
      }),
    ),
  });
  return create(ValueInfoProtoSchema, {
    name,
    type: create(TypeProtoSchema, {
      value: { case: "tensorType", value: create(TypeProto_TensorSchema, { elemType: DATA_TYPE[dtype], shape }) },
    }),
  });
}

function attribute(name: string, value: AttributeValue): AttributeProto {
  const a = create(AttributeProtoSchema, { name });
  if (typeof value === "number" && Number.isInteger(value)) {
    a.type = AttributeProto_AttributeType.INT;
    a.i = BigInt(value);
  } else if (typeof value === "number") {
    a.type = AttributeProto_AttributeType.FLOAT;
    a.f = value;
  } else if (typeof value === "bigint") {
    a.type = AttributeProto_AttributeType.INT;
    a.i = value;
  } else if (typeof value === "string") {
    a.type = AttributeProto_AttributeType.STRING;
    a.s = new TextEncoder().encode(value) as Uint8Array<ArrayBuffer>;
  } else if (Array.isArray(value)) {
    a.type = AttributeProto_AttributeType.INTS;
    a.ints = (value as (number | bigint)[]).map((v) => BigInt(v));
  } else if ("floats" in value) {
    a.type = AttributeProto_AttributeType.FLOATS;
    a.floats = value.floats;
  } else if ("float" in value) {
    a.type = AttributeProto_AttributeType.FLOAT;
    a.f = value.float;
  } else {
    a.type = AttributeProto_AttributeType.TENSOR;
    a.t = create(TensorProtoSchema, {
      dims: value.dims.map(BigInt),
      dataType: DATA_TYPE[value.dtype],
      rawData: new Uint8Array(value.bytes) as Uint8Array<ArrayBuffer>,
    });
  }
  return a;
}
