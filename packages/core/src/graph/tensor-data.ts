/** Element types the graph builder writes; names follow ONNX Runtime's tensor type names. */
export type ElementType = "float32" | "float16" | "int64" | "int32" | "uint8" | "int8" | "bool";

/** A dense tensor as raw little-endian bytes, the form weights travel in from a checkpoint to a graph. */
export interface TensorData {
  dtype: ElementType;
  dims: number[];
  bytes: Uint8Array;
}

const BYTES_PER_ELEMENT: Record<ElementType, number> = {
  float32: 4,
  float16: 2,
  int64: 8,
  int32: 4,
  uint8: 1,
  int8: 1,
  bool: 1,
};

export function bytesPerElement(dtype: ElementType): number {
  return BYTES_PER_ELEMENT[dtype];
}

export function elementCount(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

export function float32Tensor(dims: number[], values: Float32Array): TensorData {
  if (values.length !== elementCount(dims)) {
    throw new Error(`float32Tensor: ${values.length} values do not fill dims [${dims.join(", ")}]`);
  }
  return { dtype: "float32", dims, bytes: new Uint8Array(values.buffer, values.byteOffset, values.byteLength) };
}

export function int64Tensor(dims: number[], values: readonly (number | bigint)[]): TensorData {
  const data = BigInt64Array.from(values, (v) => BigInt(v));
  return { dtype: "int64", dims, bytes: new Uint8Array(data.buffer) };
}

/** Views float32 tensor bytes as numbers (copies when the bytes are not 4-byte aligned). */
export function asFloat32(t: TensorData): Float32Array {
  if (t.dtype !== "float32") throw new Error(`asFloat32: tensor is ${t.dtype}`);
  if (t.bytes.byteOffset % 4 === 0) return new Float32Array(t.bytes.buffer, t.bytes.byteOffset, t.bytes.byteLength / 4);
  return new Float32Array(t.bytes.slice().buffer);
}

/** Transposes a 2-D float32 tensor: HF Linear weights are [out, in], ONNX MatMul wants [in, out]. */
export function transpose2d(t: TensorData): TensorData {
  const [rows, cols] = t.dims as [number, number];
  if (t.dims.length !== 2) throw new Error(`transpose2d: expected 2-D, got [${t.dims.join(", ")}]`);
  const src = asFloat32(t);
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[c * rows + r] = src[r * cols + c]!;
  }
  return float32Tensor([cols, rows], out);
}
