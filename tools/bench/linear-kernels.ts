/**
 * Which ONNX Runtime kernel runs a Linear layer of Qwen2.5-VL-3B fastest on this CPU, per shape and row count:
 * a float32 MatMul; MatMulNBits at 8 and 4 bits (accuracy levels, block sizes, symmetric or not; `nb4-32-a4` is
 * what q4 bundles run); q8's per-token MatMulInteger form (`q8-tok`) and its variants; and DynamicQuantizeMatMul
 * (ORT's dynamic quantization, one activation scale per tensor). One session per kernel and shape, random
 * weights, `threads` intra-op threads; prints the best of a few runs in ms and GFLOP/s.
 *
 *   cd tools && node_modules/.bin/tsx --conditions=@rge/source bench/linear-kernels.ts [--threads 2] [--rows 1,146,1024]
 *     [--shapes qkv,o,gateup,down,vqkv,vup,vdown] [--kernels fp32,q8-tok,nb4-32-a4,...] [--repeats 5]
 *     [--stack N]   (N distinct weights per run, so that single rows stream weights from memory as decoding does)
 */
import { parseArgs } from "node:util";
import * as ort from "onnxruntime-node";
import { GraphBuilder } from "../../packages/core/src/graph/graph-builder.js";
import { matMulInt8PerToken, perTokenCodes, quantizeInt8PerChannel } from "../../packages/core/src/graph/matmul-int8.js";
import { matMulNBits, type MatMulNBitsAccuracyLevel } from "../../packages/core/src/graph/matmul-nbits.js";
import { quantizeNBits } from "../../packages/core/src/graph/quantize-nbits.js";
import { float32Tensor, transpose2d, type TensorData } from "../../packages/core/src/graph/tensor-data.js";
import { describeCpu } from "./machine.js";

/** Linear shapes [in K, out N] of Qwen2.5-VL-3B; fused ones are the concatenations a converter could write. */
const SHAPES: Record<string, [number, number]> = {
  q: [2048, 2048],
  kv: [2048, 256],
  qkv: [2048, 2560],
  o: [2048, 2048],
  gate: [2048, 11008],
  gateup: [2048, 22016],
  down: [11008, 2048],
  vqkv: [1280, 3840],
  vo: [1280, 1280],
  vup: [1280, 3420],
  vdown: [3420, 1280],
  lmhead: [2048, 151936],
};

interface Kernel {
  name: string;
  /** Builds the product of `x` and `w`; `name` prefixes its initializers. */
  build(g: GraphBuilder, x: string, w: TensorData, name: string): string;
}

function nbits(bits: 4 | 8, blockSize: number, level: MatMulNBitsAccuracyLevel, symmetric = false): Kernel {
  return {
    name: `nb${bits}-${blockSize}-a${level}${symmetric ? "s" : ""}`,
    build: (g, x, w, name) => matMulNBits(g, x, quantizeNBits(w, { bits, blockSize, symmetric }), name, { accuracyLevel: level }),
  };
}

/** ORT's dynamic-quantization form: activations to uint8 with one scale for the whole tensor, the weight as q8's. */
const dynamicQuantizeMatMul: Kernel = {
  name: "dqmm",
  build: (g, x, w, name) => {
    const q = quantizeInt8PerChannel(w);
    return g.op("DynamicQuantizeMatMul", [x, g.initializer(`${name}.int8`, q.codes), g.initializer(`${name}.scale`, q.scales)], { domain: "com.microsoft" });
  },
};

/** What q8 bundles run: `matMulInt8PerToken` (uint8 activation codes with zero point 128, int8 weights). */
const perToken: Kernel = { name: "q8-tok", build: (g, x, w, name) => matMulInt8PerToken(g, x, quantizeInt8PerChannel(w), name) };

/**
 * The per-token form with the other operand types MatMulInteger takes: int8 activation codes (`s8s8`), or the
 * weight codes shifted into uint8 with zero point 128 (`u8u8`).
 */
function perTokenVariant(variant: "s8s8" | "u8u8"): Kernel {
  return {
    name: `q8-tok-${variant}`,
    build: (g, x, w, name) => {
      const q = quantizeInt8PerChannel(w);
      const { codes, rowScale } = perTokenCodes(g, x, name);
      const shifted = () => {
        const shift = g.initializer(`${name}.zp128`, { dtype: "uint8", dims: [], bytes: Uint8Array.of(128) });
        const weight = Uint8Array.from(new Int8Array(q.codes.bytes.buffer), (c) => c + 128);
        const inputs = [g.cast(g.op("Add", [codes, g.float32(128)]), "float32", "uint8"), g.initializer(`${name}.uint8`, { dtype: "uint8", dims: q.codes.dims, bytes: weight })];
        return g.op("MatMulInteger", [...inputs, shift, shift]);
      };
      const product =
        variant === "s8s8" ? g.op("MatMulInteger", [g.cast(codes, "float32", "int8"), g.initializer(`${name}.int8`, q.codes)]) : shifted();
      return g.op("Mul", [g.op("Mul", [g.cast(product, "int32", "float32"), rowScale]), g.initializer(`${name}.scale`, q.scales)]);
    },
  };
}

const KERNELS: Kernel[] = [
  { name: "fp32", build: (g, x, w, name) => g.op("MatMul", [x, g.initializer(name, transpose2d(w))]) },
  nbits(8, 32, 4),
  nbits(8, 64, 4),
  nbits(8, 128, 4),
  nbits(8, 32, 4, true),
  nbits(8, 128, 0),
  nbits(4, 32, 4),
  nbits(4, 64, 4),
  nbits(4, 128, 4),
  nbits(4, 32, 4, true),
  nbits(4, 32, 0),
  nbits(4, 128, 0),
  dynamicQuantizeMatMul,
  perToken,
  perTokenVariant("s8s8"),
  perTokenVariant("u8u8"),
];

/** Deterministic weights of std ~0.02, like a trained projection. */
function randomWeight(n: number, k: number, seed: number): TensorData {
  const values = new Float32Array(n * k);
  let s = seed >>> 0;
  for (let i = 0; i < values.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const u = s / 4294967296;
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    values[i] = (u + s / 4294967296 - 1) * 0.035;
  }
  return float32Tensor([n, k], values);
}

/**
 * Times `kernel` on one weight, or on `weights.length` distinct weights side by side (their outputs summed): a stack
 * bigger than the last-level cache streams from memory on every run, as a decode step does, while one weight of a
 * few MB stays cached between runs and times faster than any model would run.
 */
async function time(kernel: Kernel, weights: TensorData[], rows: number[], threads: number): Promise<number[]> {
  const [n, k] = weights[0]!.dims as [number, number];
  const g = new GraphBuilder("linear");
  const x = g.input("x", "float32", ["m", k]);
  const ys = weights.map((w, i) => kernel.build(g, x, w, `w${i}`));
  g.output(ys.length === 1 ? ys[0]! : g.op("Sum", ys), "y", "float32", ["m", n]);
  const session = await ort.InferenceSession.create(g.toBytes(), {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: "all",
  });
  try {
    const out: number[] = [];
    for (const m of rows) {
      const data = new Float32Array(m * k);
      for (let i = 0; i < data.length; i++) data[i] = Math.sin(i * 0.37) * 2;
      const feed = { x: new ort.Tensor("float32", data, [m, k]) };
      await session.run(feed);
      let best = Infinity;
      const deadline = performance.now() + 3000;
      for (let i = 0; i < repeats && (i < 2 || performance.now() < deadline); i++) {
        const started = performance.now();
        await session.run(feed);
        best = Math.min(best, performance.now() - started);
      }
      out.push(best);
    }
    return out;
  } finally {
    await session.release();
  }
}

const { values } = parseArgs({
  options: {
    threads: { type: "string", default: "2" },
    rows: { type: "string", default: "1,146,1024" },
    shapes: { type: "string", default: "qkv,o,gateup,down,vqkv,vup,vdown" },
    kernels: { type: "string" },
    repeats: { type: "string", default: "5" },
    stack: { type: "string", default: "1" },
  },
});
const threads = Number(values.threads);
const repeats = Number(values.repeats);
const stack = Number(values.stack);
const rows = values.rows.split(",").map(Number);
const wanted = values.kernels?.split(",");
const kernels = wanted ? KERNELS.filter((k) => wanted.includes(k.name)) : KERNELS;

const stacked = stack > 1 ? `, ${stack} distinct weights per run (times per weight)` : "";
console.log(`ms (GFLOP/s) per Linear, best of up to ${repeats} runs (3 s at most)${stacked}, ${threads} threads; ${describeCpu()}`);
console.log(`| shape [K, N] | kernel | ${rows.map((m) => `M=${m}`).join(" | ")} |`);
console.log(`| --- | --- | ${rows.map(() => "---").join(" | ")} |`);
for (const [index, shapeName] of values.shapes.split(",").entries()) {
  const shape = SHAPES[shapeName];
  if (!shape) throw new Error(`unknown shape ${shapeName}; known: ${Object.keys(SHAPES).join(", ")}`);
  const [k, n] = shape;
  const weights = Array.from({ length: stack }, (_, i) => randomWeight(n, k, 17 + index * 1000 + i));
  for (const kernel of kernels) {
    const ms = (await time(kernel, weights, rows, threads)).map((t) => t / stack);
    const cells = ms.map((t, i) => `${t.toFixed(t < 10 ? 2 : 1)} (${((2 * rows[i]! * k * n) / (t * 1e6)).toFixed(0)})`);
    console.log(`| ${shapeName} [${k}, ${n}] | ${kernel.name} | ${cells.join(" | ")} |`);
  }
}
