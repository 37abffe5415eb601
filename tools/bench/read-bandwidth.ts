import * as ort from "onnxruntime-node";
import { GraphBuilder } from "../../packages/core/src/graph/graph-builder.js";

/** The probe reads a [ROWS, COLUMNS] float32 tensor: 1 GiB, far beyond any cache. */
const ROWS = 65536;
const COLUMNS = 4096;

/**
 * Read bandwidth as ONNX Runtime's kernels get it: the best of `repeats` runs of a row-wise ReduceSum over 1 GiB of
 * float32 on `threads` intra-op threads. A reduction reads every byte once and writes almost nothing, so it is
 * bound by memory reads, what a decode step spends on its weights; a copy would count writes too. Of the probes
 * tried here (ReduceSum at four row counts, a 1 GiB float32 GEMV, numpy's and torch's sum) the torch sum read
 * fastest (18 GB/s against this one's 15.6 GB/s, one run); this one runs in the benchmark's own runtime.
 */
export async function readBandwidth(threads: number, repeats = 8): Promise<{ gbPerSecond: number; bytes: number }> {
  const g = new GraphBuilder("read_bandwidth");
  const x = g.input("x", "float32", [ROWS, COLUMNS]);
  const axes = g.initializer("axes", { dtype: "int64", dims: [1], bytes: new Uint8Array(BigInt64Array.of(1n).buffer) });
  g.output(g.op("ReduceSum", [x, axes], { attrs: { keepdims: 0n } }), "y", "float32", [ROWS]);
  const session = await ort.InferenceSession.create(g.toBytes(), { intraOpNumThreads: threads, interOpNumThreads: 1 });
  try {
    const data = new Float32Array(ROWS * COLUMNS);
    for (let i = 0; i < data.length; i += 1024) data[i] = i % 7; // touch every page before timing
    const input = new ort.Tensor("float32", data, [ROWS, COLUMNS]);
    let best = Infinity;
    for (let i = 0; i < repeats; i++) {
      const started = performance.now();
      await session.run({ x: input });
      best = Math.min(best, performance.now() - started);
    }
    const bytes = data.byteLength;
    return { gbPerSecond: bytes / (best / 1000) / 1e9, bytes };
  } finally {
    await session.release();
  }
}
