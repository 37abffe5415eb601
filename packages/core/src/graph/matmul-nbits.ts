import type { GraphBuilder } from "./graph-builder.js";
import type { NBitsWeight } from "./quantize-nbits.js";

/**
 * `accuracy_level` of `MatMulNBits`: the lowest precision ONNX Runtime may compute in. On CPU with float32
 * activations, 0 (unset), 1 (fp32), 2 (fp16) and 3 (bf16) all run the fp32 kernel (weights dequantized block
 * by block, fp32 accumulation); 4 (int8) quantizes the activations to int8 per block and accumulates in int32,
 * when MLAS has an int8 kernel for the bit width and block size on this CPU (else it falls back to fp32).
 */
export type MatMulNBitsAccuracyLevel = 0 | 1 | 2 | 3 | 4;

/** Options of {@link matMulNBits}. */
export interface MatMulNBitsOptions {
  /** Name of a float32 `[N]` bias to add in the same node. Default: none. */
  bias?: string;
  /**
   * Default 4, the only fast path for 8 bits: measured with ORT 1.30 on x86 CPU, 8-bit at levels 0-3 has no
   * packed kernel and dequantizes the whole weight on every call (25-40x slower than a float MatMul). Level 4
   * decodes single rows several times faster than float; over many rows on AVX2 without VNNI it ran 4-bit at
   * 0.8-1.05x and 8-bit at 0.6-0.8x float, which is why q8 bundles use `MatMulInteger` instead. Its int8
   * activations move outputs by about 5e-3 of max|y| and lower the cosine to the float result by about 1e-5,
   * far below the 4-bit weight error.
   * Pass 1 to get `x @ dequantize(W)^T` to float rounding (tests, debugging).
   */
  accuracyLevel?: MatMulNBitsAccuracyLevel;
}

/**
 * `x @ W^T (+ bias)` for a quantized Linear weight, as one `com.microsoft::MatMulNBits` node; `x` is
 * `[..., K]` float32 and the result `[..., N]`. The weight is stored as `${name}.weight_Q4` (or `_Q8`),
 * `${name}.weight_scales` and, when asymmetric, `${name}.weight_zero_points`.
 *
 * @example
 * const q = quantizeNBits(w.get(`${prefix}.weight`), { bits: 4 });
 * const y = matMulNBits(g, x, q, prefix, { bias: g.initializer(`${prefix}.bias`, w.get(`${prefix}.bias`)) });
 */
export function matMulNBits(g: GraphBuilder, x: string, q: NBitsWeight, name: string, options: MatMulNBitsOptions = {}): string {
  const inputs = [
    x,
    g.initializer(`${name}.weight_Q${q.bits}`, q.packed),
    g.initializer(`${name}.weight_scales`, q.scales),
    q.zeroPoints ? g.initializer(`${name}.weight_zero_points`, q.zeroPoints) : "",
  ];
  // Optional inputs are positional: g_idx (unused, "") sits between zero_points and bias.
  if (options.bias) inputs.push("", options.bias);
  while (inputs.at(-1) === "") inputs.pop();
  return g.op("MatMulNBits", inputs, {
    domain: "com.microsoft",
    name: `${name}/MatMulNBits`,
    attrs: { K: q.k, N: q.n, bits: q.bits, block_size: q.blockSize, accuracy_level: options.accuracyLevel ?? 4 },
  });
}
