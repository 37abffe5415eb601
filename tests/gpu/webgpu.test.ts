import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { convertCheckpoint, loadRgeModel, probeProvider, type RgeDtype } from "@rge/core";
import { tempDir } from "@rge/core/testing";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { CASES, CHECKPOINT, LOAD_OPTIONS, runCase, type CaseName, type CaseRow } from "./cases.js";

// The engine on ONNX Runtime's WebGPU provider against the CPU provider, on every dtype the converter writes.
// Each WebGPU run is a child process, so a provider crash fails its case with the signal instead of the runner.

const webgpu = inject("webgpu");
const available = "description" in webgpu;
const DTYPES: RgeDtype[] = ["fp32", "fp16", "q8", "q4"];
const tmp = tempDir("rge-webgpu-");
const summary: string[] = [];

beforeAll(async () => {
  if (available) await convertCheckpoint(CHECKPOINT, tmp.dir, { dtypes: DTYPES });
});
afterAll(() => {
  if (summary.length > 0) console.log(`webgpu vs cpu (${"description" in webgpu ? webgpu.description : ""}):\n  ${summary.join("\n  ")}`);
  tmp.remove();
});

/** Runs a case on WebGPU in a child process; rejects with the exit code or signal when it does not finish. */
interface ChildRun {
  device: string;
  deviceReason: string;
  rows: CaseRow[];
  steps: { rows: number; up: number; down: number }[];
}

function onWebGpu(dtype: RgeDtype, name: CaseName, device = "webgpu", env: Record<string, string> = {}): Promise<ChildRun> {
  const out = join(tmp.dir, `${device}-${dtype}-${name.replace(/\W+/g, "-")}-${Object.values(env).join("")}.json`);
  const tsx = join(import.meta.dirname, "..", "node_modules", "tsx", "dist", "cli.mjs");
  const child = spawn(process.execPath, [tsx, "--conditions=@rge/source", join(import.meta.dirname, "run-case.ts"), tmp.dir, device, dtype, name, out], {
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, ...env },
  });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.on("exit", (code, signal) => {
      if (code === 0) return resolve(JSON.parse(readFileSync(out, "utf8")));
      const tail = stderr.split("\n").filter((l) => l && !l.startsWith("Warning: maxDynamic")).slice(-5).join("\n");
      reject(new Error(`the WebGPU child ${signal ? `died with ${signal}` : `exited with ${code}`}:\n${tail}`));
    });
  });
}

const cpuRuns = new Map<RgeDtype, Map<CaseName, CaseRow[]>>();
async function onCpu(dtype: RgeDtype, name: CaseName): Promise<CaseRow[]> {
  let runs = cpuRuns.get(dtype);
  if (!runs) {
    runs = new Map();
    const model = await loadRgeModel(tmp.dir, { ...LOAD_OPTIONS, dtype });
    for (const c of CASES) runs.set(c, await runCase(model, c));
    await model.dispose();
    cpuRuns.set(dtype, runs);
  }
  return runs.get(name)!;
}

const maxAbsDiff = (a: number[], b: number[]) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
const cosine = (a: number[], b: number[]) => a.reduce((s, v, i) => s + v * b[i]!, 0);

describe("the engine on WebGPU", () => {
  it("has a WebGPU adapter (required when CI=true)", (context) => {
    if (!available) {
      const line = `no WebGPU adapter: ${webgpu.unavailable}`;
      if (process.env.CI === "true" || process.env.CI === "1") throw new Error(line);
      console.log(`webgpu suite skipped: ${line}`);
      context.skip();
    }
  });

  for (const dtype of DTYPES) {
    it.runIf(available)(`${dtype}: the provider probe passes on WebGPU`, async () => {
      const result = await probeProvider("webgpu", dtype);
      expect(result).toEqual({ ok: true, detail: expect.stringMatching(/^a probe run of \d+ graph calls on webgpu matched the CPU$/) });
    });
  }

  it.runIf(available)(`device "auto" with only a software adapter embeds on the CPU and says why`, async () => {
    const run = await onWebGpu("q4", "text queries", "auto");
    expect(run.device).toBe("cpu");
    expect(run.deviceReason).toMatch(/webgpu: skipped, .*software renderer, slower than the CPU provider/);
    expect(run.rows.length).toBeGreaterThan(0);
  });

  it.runIf(available)("keeps the KV cache on the device: a decode step returns only logits and hidden states", async () => {
    const config = JSON.parse(readFileSync(join(tmp.dir, "config.json"), "utf8")) as { vocab_size: number; hidden_size: number; num_hidden_layers: number };
    const [onDevice, throughHost] = await Promise.all([
      onWebGpu("fp32", "continuous batch", "webgpu", { RGE_COUNT_TRANSFERS: "1" }),
      onWebGpu("fp32", "continuous batch", "webgpu", { RGE_COUNT_TRANSFERS: "1", RGE_KV_ON_DEVICE: "0" }),
    ]);
    expect(onDevice.steps.length).toBeGreaterThan(10);
    for (const step of onDevice.steps) expect(step.down).toBe(step.rows * (config.vocab_size + config.hidden_size) * 4);
    // Through the host, every step also brings the new keys and values back and sends the whole cache.
    for (const step of throughHost.steps) expect(step.down).toBeGreaterThan(step.rows * (config.vocab_size + config.hidden_size) * 4);
    const mean = (r: ChildRun, k: "up" | "down") => r.steps.reduce((s, x) => s + x[k], 0) / r.steps.length;
    summary.push(
      `bytes per decode step (fp32 continuous batch): host→device ${mean(throughHost, "up").toFixed(0)} → ${mean(onDevice, "up").toFixed(0)}, ` +
        `device→host ${mean(throughHost, "down").toFixed(0)} → ${mean(onDevice, "down").toFixed(0)}`,
    );
    onDevice.rows.forEach((row, i) => expect(row.generatedIds).toEqual(throughHost.rows[i]!.generatedIds));
  });

  for (const dtype of DTYPES) {
    for (const name of CASES) {
      it.runIf(available)(`${dtype}: ${name} as on CPU`, async () => {
        const [cpu, gpu] = await Promise.all([onCpu(dtype, name), onWebGpu(dtype, name)]);
        expect(gpu.device).toBe("webgpu");
        expect(gpu.rows.map((r) => r.name)).toEqual(cpu.map((r) => r.name));
        const diverged = gpu.rows.filter((r, i) => r.generatedIds && r.generatedIds.join() !== cpu[i]!.generatedIds!.join());
        const same = gpu.rows.map((r, i) => [r, cpu[i]!] as const).filter(([r]) => !diverged.includes(r));
        const worstDiff = Math.max(0, ...same.map(([g, c]) => maxAbsDiff(g.embedding, c.embedding)));
        const worstCos = Math.min(1, ...same.map(([g, c]) => cosine(g.embedding, c.embedding)));
        summary.push(
          `${dtype.padEnd(4)} ${name.padEnd(18)} ${diverged.length}/${gpu.rows.filter((r) => r.generatedIds).length} rationales diverge; ` +
            `rows that agree: max |diff| ${worstDiff.toExponential(1)}, min cosine ${worstCos.toFixed(6)}`,
        );
        if (dtype === "fp32" || dtype === "fp16") expect(diverged.map((r) => r.name)).toEqual([]);
        if (dtype === "fp32") expect(worstDiff).toBeLessThan(1e-5);
        if (dtype === "fp16") expect(worstCos).toBeGreaterThanOrEqual(0.9999);
        // q8/q4: near ties may flip a greedy token (reported above); rows that agree stay close to CPU.
        if (dtype === "q8" || dtype === "q4") expect(worstCos).toBeGreaterThan(0.99);
      });
    }
  }
});
