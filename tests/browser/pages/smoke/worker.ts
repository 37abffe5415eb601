import * as ort from "onnxruntime-web";
import type { GraphRun } from "../shared/graph-case.js";
import type { PageResult } from "../shared/post-result.js";
import { runGraph } from "../shared/run-graph.js";

export interface WorkerRequest {
  bundleUrl: string;
  executionProvider: "wasm" | "webgpu";
  threads: number;
}

export type WorkerReply = PageResult<GraphRun>;

self.onmessage = async (event: MessageEvent<WorkerRequest>) => {
  const { bundleUrl, executionProvider, threads } = event.data;
  let reply: WorkerReply;
  try {
    ort.env.wasm.numThreads = threads;
    reply = { ok: true, value: await runGraph(new URL(bundleUrl), executionProvider) };
  } catch (error) {
    reply = { ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) };
  }
  self.postMessage(reply);
};
