import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { GraphBuilder } from "./graph-builder.js";
import { INT8_WEIGHT_RANGE, matMulInt8PerToken, quantizeInt8PerChannel, type Int8Weight } from "./matmul-int8.js";
import { roundHalfEven } from "../numeric/round-half-even.js";
import { asFloat32, float32Tensor } from "./tensor-data.js";

/** Seeded standard normal values (LCG + Box-Muller). */
function randn(count: number, seed: number, std = 1): Float32Array {
  let s = seed >>> 0;
  const u = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 2 ** 32;
  return Float32Array.from({ length: count }, () => std * Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u()));
}

async function run(q: Int8Weight, x: Float32Array, dims: number[], biasValues?: Float32Array): Promise<Float32Array> {
  const g = new GraphBuilder("matmul_int8");
  const input = g.input("x", "float32", ["batch", "seq", q.k]);
  const bias = biasValues ? g.initializer("lin.bias", float32Tensor([q.n], biasValues)) : undefined;
  g.output(matMulInt8PerToken(g, input, q, "lin", bias), "y", "float32", ["batch", "seq", q.n]);
  const session = await ort.InferenceSession.create(g.toBytes());
  try {
    const out = await session.run({ x: new ort.Tensor("float32", x, dims) });
    return out["y"]!.data as Float32Array;
  } finally {
    await session.release();
  }
}

/**
 * What the graph must compute, in float64 from its definition: each row quantized to `round(x / s_row)` with
 * `s_row = max|x_row| / 127`, dotted with the weight codes in exact integers, times both scales (plus bias).
 */
function expected(q: Int8Weight, x: Float32Array, bias?: Float32Array): Float64Array {
  const codes = new Int8Array(q.codes.bytes.buffer, q.codes.bytes.byteOffset, q.k * q.n);
  const scales = asFloat32(q.scales);
  const rows = x.length / q.k;
  const y = new Float64Array(rows * q.n);
  for (let r = 0; r < rows; r++) {
    let max = 0;
    for (let c = 0; c < q.k; c++) max = Math.max(max, Math.abs(x[r * q.k + c]!));
    const rowScale = Math.max(Math.fround(max / 127), 1e-30);
    const xq = Array.from({ length: q.k }, (_, c) => roundHalfEven(Math.fround(x[r * q.k + c]! / rowScale)));
    for (let n = 0; n < q.n; n++) {
      let sum = 0;
      for (let c = 0; c < q.k; c++) sum += xq[c]! * codes[c * q.n + n]!;
      y[r * q.n + n] = sum * rowScale * scales[n]! + (bias?.[n] ?? 0);
    }
  }
  return y;
}

describe("quantizeInt8PerChannel", () => {
  it("keeps every weight within half a step of its channel's scale, with codes in -63..63", () => {
    const [n, k] = [24, 40];
    const w = randn(n * k, 3, 0.05);
    w[5] = 0.9; // one large weight sets its channel's scale
    const q = quantizeInt8PerChannel(float32Tensor([n, k], w));
    const codes = new Int8Array(q.codes.bytes.buffer);
    const scales = asFloat32(q.scales);
    expect(q.codes.dims).toEqual([k, n]);
    expect(scales[0]).toBeCloseTo(0.9 / INT8_WEIGHT_RANGE, 9);
    for (let row = 0; row < n; row++) {
      for (let c = 0; c < k; c++) {
        const code = codes[c * n + row]!;
        expect(Math.abs(code)).toBeLessThanOrEqual(INT8_WEIGHT_RANGE);
        expect(Math.abs(code * scales[row]! - w[row * k + c]!)).toBeLessThanOrEqual(scales[row]! / 2 + 1e-9);
      }
    }
  });

  it("gives an all-zero channel scale 1 and codes 0", () => {
    const q = quantizeInt8PerChannel(float32Tensor([2, 3], Float32Array.of(0, 0, 0, 1, -2, 3)));
    expect(Array.from(asFloat32(q.scales))).toEqual([1, Math.fround(3 / INT8_WEIGHT_RANGE)]);
    expect(Array.from(new Int8Array(q.codes.bytes.buffer)).filter((_, i) => i % 2 === 0)).toEqual([0, 0, 0]);
  });
});

describe("matMulInt8PerToken on ONNX Runtime CPU", () => {
  // With weight codes up to 127 this failed on AVX2 without VNNI: ORT's U8S8 kernel saturated pair sums in 16 bits.
  it("computes the per-token int8 product exactly as defined, with bias, for [B, S, K] input", async () => {
    const [n, k, b, s] = [40, 96, 2, 5];
    const q = quantizeInt8PerChannel(float32Tensor([n, k], randn(n * k, 7, 0.03)));
    const x = randn(b * s * k, 11);
    for (let c = 0; c < k; c++) x[3 * k + c]! *= 50; // one token 50x larger: its own scale, nobody else's
    const bias = randn(n, 13);
    const y = await run(q, x, [b, s, k], bias);
    const ref = expected(q, x, bias);
    // int32 accumulation is exact; only the float32 scaling rounds.
    for (let i = 0; i < ref.length; i++) expect(Math.abs(y[i]! - ref[i]!)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(ref[i]!)));
  });

  it("lands near the float product, and a large token leaves the others' precision alone", async () => {
    const [n, k] = [32, 256];
    const w = randn(n * k, 17, 0.03);
    const q = quantizeInt8PerChannel(float32Tensor([n, k], w));
    const x = randn(4 * k, 19);
    for (let c = 0; c < k; c++) x[c]! *= 1000;
    const y = await run(q, x, [1, 4, k]);
    for (let row = 1; row < 4; row++) {
      let dot = 0;
      let yy = 0;
      let rr = 0;
      for (let j = 0; j < n; j++) {
        let ref = 0;
        for (let c = 0; c < k; c++) ref += x[row * k + c]! * w[j * k + c]!;
        const v = y[row * n + j]!;
        dot += v * ref;
        yy += v * v;
        rr += ref * ref;
      }
      expect(dot / Math.sqrt(yy * rr)).toBeGreaterThan(0.9995);
    }
  });

  it("maps an all-zero row (left padding) to exactly the bias", async () => {
    const [n, k] = [8, 32];
    const q = quantizeInt8PerChannel(float32Tensor([n, k], randn(n * k, 23)));
    const bias = randn(n, 29);
    const y = await run(q, new Float32Array(k), [1, 1, k], bias);
    expect(Array.from(y)).toEqual(Array.from(bias));
  });
});
