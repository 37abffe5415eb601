import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { closeBrowsers, openPage, waitForResult } from "./harness.js";
import type { SmokeResult } from "./pages/smoke/smoke-result.js";
import { maxAbsDiff, startSmokePage, type SmokePage } from "./smoke-page.js";

// onnxruntime-web in a Vite-built page, on the wasm provider with threads, on the main thread and in a module
// worker, against onnxruntime-node on the same graph.

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

describe.runIf(executablePath)("onnxruntime-web in headless Chromium", () => {
  it("runs the tiny graph on wasm, threaded, on the main thread and in a worker, as onnxruntime-node does", async () => {
    const started = Date.now();
    const opened = await openPage(`${smoke.server.url}?ep=wasm&threads=2`, { executablePath: executablePath! });
    const result = await waitForResult<SmokeResult>(opened);
    console.log(`smoke page: built in ${smoke.buildSeconds.toFixed(1)} s, ran in ${((Date.now() - started) / 1000).toFixed(1)} s`);

    expect(result.crossOriginIsolated).toBe(true);
    expect(result.main!.executionProvider).toBe("wasm");
    expect(maxAbsDiff(result.main!.outputs, smoke.reference)).toBeLessThan(1e-6);
    expect(maxAbsDiff(result.worker!.outputs, smoke.reference)).toBeLessThan(1e-6);
    // The runtime came from the build's own assets, as application/wasm (else emscripten warns and recompiles).
    expect(smoke.server.requests).toContainEqual(expect.stringMatching(/^200 \/assets\/ort-wasm-simd-threaded\.jsep-[\w-]+\.wasm$/));
    expect(opened.logs.filter((l) => /wasm streaming compile failed|falling back to ArrayBuffer/i.test(l))).toEqual([]);
    expect(opened.errors).toEqual([]);
    expect(opened.blockedRequests).toEqual([]);
    await opened.close();
  });
});

// Where headless Chromium offers a WebGPU adapter (on a machine without a GPU, Chromium 156 offers SwiftShader's
// fallback adapter), the same graph on onnxruntime-web's WebGPU provider; where it offers none, one line says so.
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
