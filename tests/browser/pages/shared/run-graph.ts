import * as ort from "onnxruntime-web";
import type { Float32Tensor, GraphInputs, GraphRun } from "./graph-case.js";

/** Fetches `graph.onnx` and `inputs.json` from `bundleUrl` and runs the graph once on `executionProvider`. */
export async function runGraph(bundleUrl: URL, executionProvider: "wasm" | "webgpu"): Promise<GraphRun> {
  const [model, inputs] = await Promise.all([
    fetchOk(new URL("graph.onnx", bundleUrl)).then((r) => r.arrayBuffer()),
    fetchOk(new URL("inputs.json", bundleUrl)).then((r) => r.json() as Promise<GraphInputs>),
  ]);
  // The profiler proves the kernels ran on the GPU: a provider that fell back to the CPU would report none.
  const webgpuKernels: string[] = [];
  if (executionProvider === "webgpu") ort.env.webgpu.profiling = { mode: "default", ondata: (d) => webgpuKernels.push(d.kernelType) };
  const session = await ort.InferenceSession.create(new Uint8Array(model), { executionProviders: [executionProvider] });
  try {
    const feeds = Object.fromEntries(Object.entries(inputs).map(([name, t]) => [name, new ort.Tensor("float32", Float32Array.from(t.data), t.dims)]));
    const results = await session.run(feeds);
    const outputs: Record<string, Float32Tensor> = {};
    for (const [name, tensor] of Object.entries(results)) {
      outputs[name] = { dims: [...tensor.dims], data: Array.from(await tensor.getData(true), Number) };
    }
    return { executionProvider, outputs, ...(executionProvider === "webgpu" ? { webgpuKernels } : {}) };
  } finally {
    await session.release();
  }
}

async function fetchOk(url: URL): Promise<Response> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url} answered ${response.status}`);
  return response;
}
