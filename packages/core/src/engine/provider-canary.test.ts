import { describe, expect, it } from "vitest";
import { missingCudaPieces } from "../device/cuda-libraries.js";
import { runProbe } from "./provider-canary.js";

// The replay itself on a real GPU provider is tested in tests/gpu (WebGPU on a software Vulkan driver).
describe("provider probe", () => {
  it("reports a replay process that crashes with its signal, and the caller lives on", async () => {
    const result = await runProbe("webgpu", "fp32", `process.kill(process.pid, "SIGSEGV");`);
    expect(result).toEqual({ ok: false, detail: "the probe run on webgpu crashed (SIGSEGV)" });
  });

  it("reports a replay that fails with its last error line", async () => {
    const result = await runProbe("cuda", "q4", `throw new Error("no CUDA here");`);
    expect(result.ok).toBe(false);
    expect(result.detail).toMatch(/^the probe run on cuda failed \(exit 1: Error: no CUDA here\)$/);
  });

  it("rejects a provider whose outputs differ from the CPU's", async () => {
    // Replays on the CPU provider but returns zeros for every output.
    const zeros = `
      import { readFileSync, writeFileSync } from "node:fs";
      const [, specPath, outPath] = process.argv.slice(1);
      const spec = JSON.parse(readFileSync(specPath, "utf8"));
      writeFileSync(outPath, JSON.stringify(spec.calls.map((c) => Object.fromEntries(c.fetch.map((n) => [n, Buffer.alloc(0).toString("base64")])))));`;
    const result = await runProbe("webgpu", "fp32", zeros);
    expect(result.ok).toBe(false);
    expect(result.detail).toMatch(/^webgpu computed \S+ of \S+\.onnx wrongly \(0 values instead of \d+\)$/);
  });
});

describe("CUDA provider check", () => {
  it("names the provider libraries onnxruntime-node lacks here (its install script was skipped)", () => {
    if (process.platform !== "linux") return;
    expect(missingCudaPieces()).toMatch(/^onnxruntime-node's CUDA provider libraries are not installed \(libonnxruntime_providers_shared\.so, libonnxruntime_providers_cuda\.so missing in .*bin[\\/]napi-v6[\\/]linux[\\/]x64\)$/);
  });
});
