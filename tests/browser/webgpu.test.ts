import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { closeBrowsers, openPage, waitForResult } from "./harness.js";
import type { SmokeResult } from "./pages/smoke/smoke-result.js";
import { maxAbsDiff, startSmokePage, type SmokePage } from "./smoke-page.js";

// The smoke page on onnxruntime-web's WebGPU provider, where headless Chromium offers an adapter (on a machine
// without a GPU, Chromium 156 offers SwiftShader's fallback adapter); where it offers none, one line says so.

const chromium = inject("chromium");
const executablePath = chromium.executablePath;
let smoke: SmokePage;

beforeAll(async () => {
  if (executablePath) smoke = await startSmokePage();
});
afterAll(async () => {
  await closeBrowsers();
  await smoke?.close();
});

if (!chromium.executablePath) it.skip(`needs Chromium: ${chromium.unavailable}`);

describe.runIf(executablePath)("onnxruntime-web on WebGPU in headless Chromium", () => {
  it("runs the tiny graph on webgpu, on the main thread and in a worker, as onnxruntime-node does", async () => {
    const opened = await openPage(`${smoke.server.url}?ep=webgpu`, { executablePath: executablePath!, webgpu: true });
    const result = await waitForResult<SmokeResult>(opened);
    await opened.close();
    expect(opened.blockedRequests).toEqual([]);
    if (!result.adapter?.available) {
      console.log(`webgpu in the browser: no adapter (${result.adapter?.reason ?? "not asked"}), so nothing ran on it`);
      return;
    }
    const { vendor, architecture, isFallbackAdapter } = result.adapter;
    console.log(`webgpu in the browser: adapter ${vendor}/${architecture}${isFallbackAdapter ? " (fallback)" : ""}; kernels ${result.main!.webgpuKernels!.join(", ")}`);
    for (const run of [result.main!, result.worker!]) {
      expect(run.executionProvider).toBe("webgpu");
      // Empty when every node fell back to the CPU: the graph must have run on the GPU.
      expect(run.webgpuKernels!.length).toBeGreaterThan(0);
      // GPU arithmetic may fuse or reorder; on SwiftShader it matches exactly.
      expect(maxAbsDiff(run.outputs, smoke.reference)).toBeLessThan(1e-5);
    }
    expect(opened.errors).toEqual([]);
  });
});
