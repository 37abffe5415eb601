import type { RgeDtype } from "../bundle/dtype.js";
import { InvalidOptionError } from "../errors.js";

/** How a graph stores weights and computes. */
export interface Precision {
  /** Element type of activations, KV cache and float weights. */
  float: "float32" | "float16";
  /**
   * Linear weights as floats; "int8": int8 per output channel for `MatMulInteger`, with activations quantized to
   * int8 per token (`matMulInt8PerToken`); "int4": 4-bit blocks for `MatMulNBits` (float32 activations,
   * which its kernel quantizes to int8 per block of 32).
   */
  linear: "float" | "int8" | "int4";
  /** Token embedding table element type (fp16 halves the largest tensor at no cost for bf16 checkpoints). */
  embeddings: "float32" | "float16";
}

export const FP32: Precision = { float: "float32", linear: "float", embeddings: "float32" };

/** The precision behind each bundle dtype. */
export function precisionOf(dtype: RgeDtype): Precision {
  switch (dtype) {
    case "fp32":
      return FP32;
    case "fp16":
      return { float: "float16", linear: "float", embeddings: "float16" };
    case "q8":
      return { float: "float32", linear: "int8", embeddings: "float16" };
    case "q4":
      return { float: "float32", linear: "int4", embeddings: "float16" };
    default:
      throw new InvalidOptionError(`The converter cannot write dtype ${dtype} yet; choose fp32, fp16, q8 or q4.`);
  }
}
