import * as ort from "onnxruntime-web";
import type { GraphRun } from "../shared/graph-case.js";
import { postResult } from "../shared/post-result.js";
import { runGraph } from "../shared/run-graph.js";
import { describeAdapter } from "../shared/webgpu-adapter.js";
import type { SmokeResult } from "./smoke-result.js";
import type { WorkerReply, WorkerRequest } from "./worker.js";

// Runs the served graph on the main thread and in a module Web Worker, on the provider the query names:
// `?ep=wasm|webgpu&threads=N&bundle=/bundle/`.

const query = new URLSearchParams(location.search);
const executionProvider = query.get("ep") === "webgpu" ? "webgpu" : "wasm";
const bundleUrl = new URL(query.get("bundle") ?? "/bundle/", location.href);
const threads = Number(query.get("threads") ?? 1);

await postResult(async (): Promise<SmokeResult> => {
  ort.env.wasm.numThreads = threads;
  const result: SmokeResult = { crossOriginIsolated };
  if (executionProvider === "webgpu") {
    result.adapter = await describeAdapter();
    if (!result.adapter.available) return result;
  }
  result.main = await runGraph(bundleUrl, executionProvider);
  result.worker = await inWorker({ bundleUrl: bundleUrl.href, executionProvider, threads });
  document.querySelector("#status")!.textContent = "done";
  return result;
});

function inWorker(request: WorkerRequest): Promise<GraphRun> {
  const worker = new Worker(new URL("./worker.ts", import.meta.url), { type: "module" });
  return new Promise<GraphRun>((resolve, reject) => {
    worker.onmessage = (event: MessageEvent<WorkerReply>) => (event.data.ok ? resolve(event.data.value) : reject(new Error(`in the worker: ${event.data.error}`)));
    worker.onerror = (event) => reject(new Error(`the worker failed: ${event.message}`));
    worker.postMessage(request);
  }).finally(() => worker.terminate());
}
