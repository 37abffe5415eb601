import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { InvalidOptionError } from "../errors.js";
import { GraphBuilder } from "./graph-builder.js";
import { matMulNBits, type MatMulNBitsOptions } from "./matmul-nbits.js";
import { roundHalfEven } from "../numeric/round-half-even.js";
import { dequantizeNBits, quantizeNBits, type NBitsOptions, type NBitsWeight } from "./quantize-nbits.js";
import { asFloat32, float32Tensor } from "./tensor-data.js";

/** Seeded standard normal values (LCG + Box-Muller), so every run sees the same weights. */
function randn(count: number, seed: number, std = 1): Float32Array {
  let s = seed >>> 0;
  const u = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 2 ** 32;
  return Float32Array.from({ length: count }, () => std * Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u()));
}

/** `x [M, K] @ w[N, K]^T` in float64. */
function matmulT(x: Float32Array, w: Float32Array, n: number, k: number): Float64Array {
  const m = x.length / k;
  const y = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let t = 0; t < k; t++) sum += x[i * k + t]! * w[j * k + t]!;
      y[i * n + j] = sum;
    }
  }
  return y;
}

/** Largest absolute difference relative to the largest reference magnitude. */
function relError(y: ArrayLike<number>, ref: ArrayLike<number>): number {
  let err = 0;
  let scale = 0;
  for (let i = 0; i < ref.length; i++) {
    err = Math.max(err, Math.abs(y[i]! - ref[i]!));
    scale = Math.max(scale, Math.abs(ref[i]!));
  }
  return err / scale;
}

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i]! * b[i]!;
    aa += a[i]! * a[i]!;
    bb += b[i]! * b[i]!;
  }
  return ab / Math.sqrt(aa * bb);
}

/** Runs `x [B, S, K]` through one MatMulNBits node on ORT CPU and returns the `[B, S, N]` output. */
async function runMatMulNBits(q: NBitsWeight, x: Float32Array, dims: number[], options: MatMulNBitsOptions & { biasValues?: Float32Array } = {}) {
  const g = new GraphBuilder("matmul_nbits");
  const input = g.input("x", "float32", ["batch", "seq", q.k]);
  const bias = options.biasValues ? g.initializer("lin.bias", float32Tensor([q.n], options.biasValues)) : undefined;
  const y = matMulNBits(g, input, q, "lin", { ...options, ...(bias ? { bias } : {}) });
  g.output(y, "y", "float32", ["batch", "seq", q.n]);
  const session = await ort.InferenceSession.create(g.toBytes());
  try {
    const out = (await session.run({ x: new ort.Tensor("float32", x, dims) })).y!;
    expect(out.dims).toEqual([...dims.slice(0, -1), q.n]);
    return out.data as Float32Array;
  } finally {
    await session.release();
  }
}

const SHAPES: { n: number; k: number; blockSize?: number }[] = [
  { n: 64, k: 96 },
  { n: 96, k: 64 },
  { n: 48, k: 100 }, // K not a multiple of 32: last block of 4, padded
  { n: 33, k: 70, blockSize: 16 }, // 5 blocks: an odd count, so 4-bit zero points end in half a byte
  { n: 40, k: 200, blockSize: 128 },
];
const VARIANTS: NBitsOptions[] = [
  { bits: 4 },
  { bits: 4, symmetric: true },
  { bits: 8 },
  { bits: 8, symmetric: true },
];
const name = (o: NBitsOptions) => `${o.bits}-bit ${o.symmetric ? "symmetric" : "asymmetric"}`;

describe("quantizeNBits", () => {
  it("packs 4-bit codes low nibble first and 4-bit zero points two blocks a byte", () => {
    // Row 0: block 0 is 0..31 (scale 31/15, zp 0), block 1 all zeros (scale 0, zp 0), block 2 is -15..0 padded.
    const k = 80;
    const w = new Float32Array(k);
    for (let i = 0; i < 32; i++) w[i] = i;
    for (let i = 64; i < 80; i++) w[i] = -(79 - i);
    const q = quantizeNBits(float32Tensor([1, k], w), { bits: 4 });
    expect(q.packed.dims).toEqual([1, 3, 16]);
    expect(q.scales.dims).toEqual([1, 3]);
    expect(q.zeroPoints!.dims).toEqual([1, 2]);
    expect(Array.from(asFloat32(q.scales))).toEqual([Math.fround(31 / 15), 0, 1]);
    // Block 2 maps -15..0 onto 0..15 with zp 15; the padding gets the code of 0 (= 15).
    expect(Array.from(q.zeroPoints!.bytes)).toEqual([0x00, 0x0f]);
    // Codes round(i * 15/31): 0, 0, 1, 1, ..., 15, 15.
    const block0 = Array.from(q.packed.bytes.subarray(0, 16));
    expect([block0[0], block0[1], block0[15]]).toEqual([0x00, 0x11, 0xff]);
    const block2 = Array.from(q.packed.bytes.subarray(32, 48));
    expect(block2.slice(0, 8)).toEqual([0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0xfe]);
    expect(block2.slice(8)).toEqual(new Array(8).fill(0xff));
  });

  it("stores 8-bit codes one a byte with one zero point a block", () => {
    const w = Float32Array.from({ length: 40 }, (_, i) => i - 8);
    const q = quantizeNBits(float32Tensor([1, 40], w), { bits: 8, blockSize: 16 });
    expect(q.packed.dims).toEqual([1, 3, 16]);
    expect(q.zeroPoints!.dims).toEqual([1, 3]);
    const deq = dequantizeNBits(q);
    for (let i = 0; i < 40; i++) expect(Math.abs(deq[i]! - w[i]!)).toBeLessThanOrEqual(asFloat32(q.scales)[Math.floor(i / 16)]! / 2);
  });

  it("rounds half to even", () => {
    expect([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 2.4999, 2.5001].map((v) => roundHalfEven(v) + 0)).toEqual([-2, -2, 0, 0, 2, 2, 2, 3]);
  });

  it("is deterministic", () => {
    const w = float32Tensor([16, 64], randn(16 * 64, 7));
    const a = quantizeNBits(w, { bits: 4 });
    const b = quantizeNBits(w, { bits: 4 });
    expect(a.packed.bytes).toEqual(b.packed.bytes);
    expect(a.scales.bytes).toEqual(b.scales.bytes);
    expect(a.zeroPoints!.bytes).toEqual(b.zeroPoints!.bytes);
  });

  it("rejects what MatMulNBits cannot take", () => {
    const w = float32Tensor([4, 32], new Float32Array(128));
    expect(() => quantizeNBits(w, { bits: 4, blockSize: 24 })).toThrow(InvalidOptionError);
    expect(() => quantizeNBits(w, { bits: 4, blockSize: 8 })).toThrow(/power of 2/);
    expect(() => quantizeNBits(w, { bits: 3 as 4 })).toThrow(InvalidOptionError);
    expect(() => quantizeNBits(float32Tensor([128], new Float32Array(128)), { bits: 8 })).toThrow(/\[out, in\]/);
  });

  describe.each(VARIANTS)("$bits-bit symmetric=$symmetric", (options) => {
    it.each(SHAPES)("keeps every weight within scale/2 for [$n, $k] (block $blockSize)", ({ n, k, blockSize }) => {
      const w = randn(n * k, n * 1000 + k, 0.05);
      const q = quantizeNBits(float32Tensor([n, k], w), { ...options, ...(blockSize ? { blockSize } : {}) });
      const kBlocks = Math.ceil(k / q.blockSize);
      expect(q.packed.dims).toEqual([n, kBlocks, (q.blockSize * q.bits) / 8]);
      expect(q.zeroPoints === undefined).toBe(options.symmetric === true);
      const scales = asFloat32(q.scales);
      const deq = dequantizeNBits(q);
      for (let r = 0; r < n; r++) {
        for (let c = 0; c < k; c++) {
          const scale = scales[r * kBlocks + Math.floor(c / q.blockSize)]!;
          const err = Math.abs(deq[r * k + c]! - w[r * k + c]!);
          if (err > scale * (0.5 + 1e-6) + 1e-12) throw new Error(`${name(options)} [${r}, ${c}]: error ${err} > scale/2 = ${scale / 2}`);
        }
      }
    });
  });
});

describe("matMulNBits on ONNX Runtime CPU", () => {
  describe.each(VARIANTS)("$bits-bit symmetric=$symmetric", (options) => {
    it.each(SHAPES)("matches x @ dequantize(W)^T and the float matmul for [$n, $k]", async ({ n, k, blockSize }) => {
      const w = randn(n * k, n * 7 + k, 0.05);
      const q = quantizeNBits(float32Tensor([n, k], w), { ...options, ...(blockSize ? { blockSize } : {}) });
      const dims = [2, 3, k];
      const x = randn(6 * k, k + 1);
      const exact = matmulT(x, w, n, k);
      const onDequantized = matmulT(x, dequantizeNBits(q), n, k);

      // fp32 kernel: ORT computes exactly with the dequantized weight, up to float rounding.
      const fp32 = await runMatMulNBits(q, x, dims, { accuracyLevel: 1 });
      expect(relError(fp32, onDequantized)).toBeLessThan(1e-4);
      expect(cosine(fp32, exact)).toBeGreaterThan(options.bits === 8 ? 0.999 : 0.99);

      // Default (int8 activations): adds an activation rounding error well below the weight error.
      const fast = await runMatMulNBits(q, x, dims);
      expect(relError(fast, onDequantized)).toBeLessThan(2e-2);
      expect(cosine(fast, exact)).toBeGreaterThan(options.bits === 8 ? 0.999 : 0.99);
    });
  });

  it("adds the bias", async () => {
    const [n, k] = [24, 64];
    const q = quantizeNBits(float32Tensor([n, k], randn(n * k, 5)), { bits: 8 });
    const x = randn(2 * k, 6);
    const bias = randn(n, 8);
    const without = await runMatMulNBits(q, x, [1, 2, k], { accuracyLevel: 1 });
    const withBias = await runMatMulNBits(q, x, [1, 2, k], { accuracyLevel: 1, biasValues: bias });
    for (let i = 0; i < without.length; i++) expect(withBias[i]!).toBeCloseTo(without[i]! + bias[i % n]!, 4);
  });

  it("writes the node ORT expects: attributes, named weights, optional inputs by position", () => {
    const q = quantizeNBits(float32Tensor([8, 48], randn(8 * 48, 9)), { bits: 4, symmetric: true });
    const g = new GraphBuilder("t");
    const x = g.input("x", "float32", [1, 48]);
    const y = matMulNBits(g, x, q, "model.layers.0.mlp.up_proj", { bias: g.initializer("b", float32Tensor([8], new Float32Array(8))) });
    g.output(y, "y", "float32", [1, 8]);
    const text = new TextDecoder("latin1").decode(g.toBytes());
    for (const s of ["MatMulNBits", "com.microsoft", "model.layers.0.mlp.up_proj.weight_Q4", "model.layers.0.mlp.up_proj.weight_scales", "accuracy_level", "block_size"]) {
      expect(text).toContain(s);
    }
    expect(text).not.toContain("weight_zero_points");
  });
});
