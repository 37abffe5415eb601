import { existsSync, mkdirSync, renameSync } from "node:fs";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { ExternalDataWriter } from "../../packages/core/src/graph/external-data.js";
import { GraphBuilder } from "../../packages/core/src/graph/graph-builder.js";

/** K x N float32 weight of the probe: 8192 x 32768 = 1 GiB, far beyond any cache. */
const K = 8192;
const N = 32768;

/**
 * Read bandwidth as a decode step sees it: the best of `repeats` runs of `x @ W` for x `[1, K]` and a 1 GiB float32
 * weight W held by ONNX Runtime (an initializer, so packed once at load as the decoder's weights are), on `threads`
 * intra-op threads. A one-row MatMul reads every byte of W once and does 2 flops per 4 bytes, so it is bound by
 * memory reads, the resource a decoder step spends; a copy would count writes too (and measures lower here).
 * The graph and its weight are written once under `dir`.
 */
export async function readBandwidth(dir: string, threads: number, repeats = 8): Promise<{ gbPerSecond: number; bytes: number }> {
  const graph = join(dir, "read-bandwidth.onnx");
  if (!existsSync(graph)) writeProbe(dir, graph);
  const session = await ort.InferenceSession.create(graph, { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: "all" });
  try {
    const x = new ort.Tensor("float32", new Float32Array(K).fill(1), [1, K]);
    let best = Infinity;
    for (let i = 0; i < repeats; i++) {
      const started = performance.now();
      await session.run({ x });
      best = Math.min(best, performance.now() - started);
    }
    const bytes = K * N * 4;
    return { gbPerSecond: bytes / (best / 1000) / 1e9, bytes };
  } finally {
    await session.release();
  }
}

function writeProbe(dir: string, graph: string): void {
  mkdirSync(dir, { recursive: true });
  const partial = `${graph}.partial`;
  const external = new ExternalDataWriter(join(dir, "read-bandwidth.onnx_data"));
  const g = new GraphBuilder("read_bandwidth", { external });
  const x = g.input("x", "float32", [1, K]);
  // Rows of distinct small values: nothing a runtime could fold away.
  const w = new Float32Array(K * N);
  for (let i = 0; i < w.length; i++) w[i] = ((i % 251) - 125) / 1024;
  const weight = g.initializer("w", { dtype: "float32", dims: [K, N], bytes: new Uint8Array(w.buffer) });
  g.output(g.op("MatMul", [x, weight]), "y", "float32", [1, N]);
  external.close();
  writeFileSync(partial, g.toBytes({ producer: "rge bench read-bandwidth" }));
  renameSync(partial, graph);
}
