import type { GraphBuilder } from "./graph-builder.js";
import { roundHalfEven } from "../numeric/round-half-even.js";
import { asFloat32, float32Tensor, type TensorData } from "./tensor-data.js";

/**
 * Largest weight code. 63, not 127: on x86 CPUs without VNNI, ONNX Runtime's U8S8 kernel sums pairs of
 * uint8 x int8 products in 16 bits with saturation (`vpmaddubsw`), and activation codes reach 255, so weights up
 * to 127 overflowed (measured: outputs off by 5% of their range, cosine to fp32 0.996 on the parity fixture).
 * With 7-bit weights every pair fits (2 x 255 x 63 < 32768) and the product is exact on every CPU; the fixture's
 * cosine to fp32 is 0.99986. ONNX Runtime's own quantizer offers the same cure as `reduce_range`.
 */
export const INT8_WEIGHT_RANGE = 63;

/** A Linear weight `[N = out, K = in]` as symmetric integer codes per output channel, in `MatMulInteger`'s layout. */
export interface Int8Weight {
  n: number;
  k: number;
  /** int8 `[K, N]`: `w[n, k] ≈ codes[k, n] * scales[n]`, codes in ±{@link INT8_WEIGHT_RANGE}. */
  codes: TensorData;
  /** float32 `[N]`: max|w[n, :]| / {@link INT8_WEIGHT_RANGE} (1 for an all-zero channel). */
  scales: TensorData;
}

/**
 * Quantizes a float32 Linear weight `[N, K]` per output channel, symmetric: `scale = max|w| / 63`, codes
 * `round(w / scale)` half to even, so every weight is within `scale / 2` of its dequantized value.
 */
export function quantizeInt8PerChannel(weight: TensorData): Int8Weight {
  const [n, k] = weight.dims as [number, number];
  const w = asFloat32(weight);
  const codes = new Int8Array(k * n);
  const scales = new Float32Array(n);
  for (let row = 0; row < n; row++) {
    let max = 0;
    for (let c = 0; c < k; c++) max = Math.max(max, Math.abs(w[row * k + c]!));
    scales[row] = max === 0 ? 1 : Math.fround(max / INT8_WEIGHT_RANGE);
  }
  // Codes are stored transposed ([K, N]); a band of rows at a time keeps both the reads and the writes in cache.
  const limit = INT8_WEIGHT_RANGE;
  for (let first = 0; first < n; first += 64) {
    const end = Math.min(n, first + 64);
    for (let c = 0; c < k; c++) {
      for (let row = first; row < end; row++) {
        codes[c * n + row] = Math.max(-limit, Math.min(limit, roundHalfEven(w[row * k + c]! / scales[row]!)));
      }
    }
  }
  return { n, k, codes: { dtype: "int8", dims: [k, n], bytes: new Uint8Array(codes.buffer) }, scales: float32Tensor([n], scales) };
}

/**
 * `x @ W^T (+ bias)` in int8: each row (token) of `x` is quantized to symmetric int8 codes with its own scale,
 * `max|x_row| / 127`, and multiplied with the int8 weight by `MatMulInteger`, whose int32 result is scaled back
 * by the row's and the channel's scales. `x` is `[..., K]` float32; the result `[..., N]`.
 *
 * Why this form: on x86 CPUs without VNNI, ONNX Runtime's `MatMulNBits` has no fast 8-bit kernel (measured with
 * ORT 1.30 on AVX2: 0.6-0.8x a float32 MatMul over 146 rows), while `MatMulInteger`'s packed U8S8 GEMM runs
 * 1.4-1.6x float32 and reads 1 byte per weight in decoding (`tools/bench/linear-kernels.ts`). The codes travel as
 * uint8 `code + 128` with the scalar zero point 128 because that is the operand pair MLAS packs for; an int8
 * activation operand ran 4x slower than float32, and uint8 weights made single rows 2x slower. A scale per row,
 * not per tensor (`DynamicQuantizeMatMul`, 15% faster), so one token with large activations (an attention sink)
 * does not coarsen every other token's codes.
 */
export function matMulInt8PerToken(g: GraphBuilder, x: string, q: Int8Weight, name: string, bias?: string): string {
  const { codes: signed, rowScale } = perTokenCodes(g, x, name);
  const codes = g.cast(g.op("Add", [signed, g.float32(128)]), "float32", "uint8"); // 1..255
  const zeroPoint = g.initializer(`${name}.input_zero_point`, { dtype: "uint8", dims: [], bytes: Uint8Array.of(128) });
  const product = g.op("MatMulInteger", [codes, g.initializer(`${name}.weight_int8`, q.codes), zeroPoint], { name: `${name}/MatMulInteger` });
  const y = g.op("Mul", [g.op("Mul", [g.cast(product, "int32", "float32"), rowScale]), g.initializer(`${name}.weight_scale`, q.scales)]);
  return bias ? g.op("Add", [y, bias]) : y;
}

/**
 * Each row of `x [..., K]` as symmetric int8 codes, still in float32 (`round(x / rowScale)`, -127..127), with
 * its scale `rowScale [..., 1] = max|x_row| / 127`. ONNX Runtime merges the identical copies that the layers
 * reading one input (q, k and v; gate and up) build, so each input is quantized once.
 */
export function perTokenCodes(g: GraphBuilder, x: string, name: string): { codes: string; rowScale: string } {
  const absMax = g.op("ReduceMax", [g.op("Abs", [x])], { attrs: { axes: [-1], keepdims: 1 }, name: `${name}/RowMax` });
  // An all-zero row (left padding) keeps a positive scale, so its codes are 0 and nothing divides by 0.
  const rowScale = g.op("Max", [g.op("Div", [absMax, g.float32(127)]), g.float32(1e-30)]);
  return { codes: g.op("Round", [g.op("Div", [x, rowScale])]), rowScale };
}
