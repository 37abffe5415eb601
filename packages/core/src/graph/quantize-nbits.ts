import { InvalidOptionError } from "../errors.js";
import { asFloat32, float32Tensor, type TensorData } from "./tensor-data.js";
import { roundHalfEven } from "../numeric/round-half-even.js";

/** How {@link quantizeNBits} quantizes a weight. */
export interface NBitsOptions {
  /** Bits per weight: 4 (q4 bundles) or 8 (q8 bundles). */
  bits: 4 | 8;
  /** Weights along K sharing one scale (and zero point); a power of 2, at least 16. Default 32. */
  blockSize?: number;
  /**
   * Symmetric blocks (no zero points; ORT assumes 2^(bits-1)) instead of asymmetric min/max blocks.
   * Default false: asymmetric uses all 2^bits levels, so it is the more accurate of the two.
   */
  symmetric?: boolean;
}

/**
 * A Linear weight `[N = out, K = in]` quantized block-wise along K in the layout of ONNX Runtime's
 * `com.microsoft::MatMulNBits` inputs B, scales and zero_points. Weight `w[n, k]` lives in block `k / blockSize`
 * and dequantizes to `(q - zeroPoint) * scale`.
 */
export interface NBitsWeight {
  n: number;
  k: number;
  bits: 4 | 8;
  blockSize: number;
  /**
   * uint8 `[N, kBlocks, blockSize * bits / 8]`: quantized values in K order; for 4 bits the even element of a
   * pair is the low nibble. The last block is padded with the code of 0.
   */
  packed: TensorData;
  /** float32 `[N, kBlocks]`. */
  scales: TensorData;
  /**
   * uint8 `[N, ceil(kBlocks * bits / 8)]`, absent when symmetric. For 4 bits two blocks share a byte, the even
   * block in the low nibble; an odd last nibble is 0.
   */
  zeroPoints?: TensorData;
}

/**
 * Quantizes a float32 Linear weight `[N, K]` for `MatMulNBits`. Deterministic: codes are `round(w / scale)`
 * (plus the zero point) computed in float64 with the float32 scale, rounding half to even, so every weight
 * is within `scale / 2` of its dequantized value.
 *
 * - asymmetric (default): per block, the range `[min(w, 0), max(w, 0)]` maps onto `0 .. 2^bits - 1`
 *   (zero included so the zero point is an integer in range and 0 stays exact);
 * - symmetric: `scale = max|w| / (2^(bits-1) - 1)`, codes `zp ± (2^(bits-1) - 1)` with the implicit
 *   `zp = 2^(bits-1)`. The most negative code is left unused so that `+max|w|` never clips.
 *
 * @example
 * const q = quantizeNBits(weights.get("model.layers.0.mlp.up_proj.weight"), { bits: 4 });
 * const y = matMulNBits(g, x, q, "model.layers.0.mlp.up_proj");
 */
export function quantizeNBits(weight: TensorData, options: NBitsOptions): NBitsWeight {
  const { bits, blockSize = 32, symmetric = false } = options;
  checkOptions(weight, bits, blockSize);
  const [n, k] = weight.dims as [number, number];
  const w = asFloat32(weight);
  const kBlocks = Math.ceil(k / blockSize);
  const blob = (blockSize * bits) / 8;
  const zpBlob = Math.ceil((kBlocks * bits) / 8);
  const packed = new Uint8Array(n * kBlocks * blob);
  const scales = new Float32Array(n * kBlocks);
  const zeroPoints = symmetric ? undefined : new Uint8Array(n * zpBlob);
  const codes = new Uint8Array(blockSize);
  const qmax = (1 << bits) - 1;

  for (let row = 0; row < n; row++) {
    for (let b = 0; b < kBlocks; b++) {
      const start = row * k + b * blockSize;
      const len = Math.min(blockSize, k - b * blockSize);
      let lo = 0;
      let hi = 0;
      for (let i = 0; i < len; i++) {
        const v = w[start + i]!;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      let scale: number;
      let zp: number;
      if (symmetric) {
        const half = (1 << (bits - 1)) - 1;
        scale = Math.fround(Math.max(hi, -lo) / half);
        zp = 1 << (bits - 1);
      } else {
        scale = Math.fround((hi - lo) / qmax);
        zp = scale === 0 ? 0 : clamp(roundHalfEven(-lo / scale), 0, qmax);
      }
      // Codes of padded positions are those of 0, so padding never changes a dot product.
      codes.fill(zp);
      if (scale !== 0) for (let i = 0; i < len; i++) codes[i] = clamp(roundHalfEven(w[start + i]! / scale) + zp, 0, qmax);

      scales[row * kBlocks + b] = scale;
      packBlock(codes, bits, packed, (row * kBlocks + b) * blob);
      if (zeroPoints) {
        const at = row * zpBlob + (bits === 8 ? b : b >> 1);
        zeroPoints[at] = bits === 8 ? zp : zeroPoints[at]! | (zp << ((b & 1) * 4));
      }
    }
  }
  return {
    n,
    k,
    bits,
    blockSize,
    packed: { dtype: "uint8", dims: [n, kBlocks, blob], bytes: packed },
    scales: float32Tensor([n, kBlocks], scales),
    ...(zeroPoints ? { zeroPoints: { dtype: "uint8", dims: [n, zpBlob], bytes: zeroPoints } as TensorData } : {}),
  };
}

/** The float32 weight `[N, K]` that `MatMulNBits` computes with: `(q - zeroPoint) * scale`. */
export function dequantizeNBits(q: NBitsWeight): Float32Array {
  const { n, k, bits, blockSize } = q;
  const kBlocks = Math.ceil(k / blockSize);
  const blob = (blockSize * bits) / 8;
  const zpBlob = Math.ceil((kBlocks * bits) / 8);
  const scales = asFloat32(q.scales);
  const out = new Float32Array(n * k);
  for (let row = 0; row < n; row++) {
    for (let kk = 0; kk < k; kk++) {
      const b = Math.floor(kk / blockSize);
      const j = kk % blockSize;
      const at = (row * kBlocks + b) * blob;
      const code = bits === 8 ? q.packed.bytes[at + j]! : (q.packed.bytes[at + (j >> 1)]! >> ((j & 1) * 4)) & 0xf;
      out[row * k + kk] = (code - zeroPoint(q, row, b, zpBlob)) * scales[row * kBlocks + b]!;
    }
  }
  return out;
}

function zeroPoint(q: NBitsWeight, row: number, block: number, zpBlob: number): number {
  if (!q.zeroPoints) return 1 << (q.bits - 1);
  if (q.bits === 8) return q.zeroPoints.bytes[row * zpBlob + block]!;
  return (q.zeroPoints.bytes[row * zpBlob + (block >> 1)]! >> ((block & 1) * 4)) & 0xf;
}

function packBlock(codes: Uint8Array, bits: 4 | 8, out: Uint8Array, offset: number): void {
  if (bits === 8) {
    out.set(codes, offset);
    return;
  }
  for (let i = 0; i < codes.length; i += 2) out[offset + i / 2] = codes[i]! | (codes[i + 1]! << 4);
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

function checkOptions(weight: TensorData, bits: number, blockSize: number): void {
  if (weight.dtype !== "float32" || weight.dims.length !== 2) {
    throw new InvalidOptionError(
      `quantizeNBits: expected a float32 Linear weight [out, in], got ${weight.dtype} [${weight.dims.join(", ")}]. ` +
        "Convert the weight to float32 and pass the 2-D Hugging Face layout.",
    );
  }
  if (bits !== 4 && bits !== 8) {
    throw new InvalidOptionError(`quantizeNBits: bits must be 4 or 8, got ${bits}.`);
  }
  if (!Number.isInteger(blockSize) || blockSize < 16 || (blockSize & (blockSize - 1)) !== 0) {
    throw new InvalidOptionError(
      `quantizeNBits: blockSize must be a power of 2 of at least 16 (MatMulNBits requires it), got ${blockSize}. Try 32.`,
    );
  }
}
