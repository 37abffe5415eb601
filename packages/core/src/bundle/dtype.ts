import { UnknownDtypeError } from "../errors.js";

/** Weight precisions a bundle may carry; each maps to a graph file suffix (transformers.js convention). */
export type RgeDtype = "fp32" | "fp16" | "q8" | "q4" | "q4f16";

const SUFFIX: Record<RgeDtype, string> = { fp32: "", fp16: "_fp16", q8: "_quantized", q4: "_q4", q4f16: "_q4f16" };

export const DTYPES = Object.keys(SUFFIX) as RgeDtype[];

export function parseDtype(value: string): RgeDtype {
  if (value in SUFFIX) return value as RgeDtype;
  throw new UnknownDtypeError(`Unknown dtype ${JSON.stringify(value)}; expected one of ${DTYPES.join(", ")}.`);
}

/** File name of a graph for a dtype, e.g. `decoder_model_merged_q4.onnx`. */
export function graphFileName(graph: string, dtype: RgeDtype): string {
  return `${graph}${SUFFIX[dtype]}.onnx`;
}
