import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type * as ort from "#ort";
import type { RgeDtype } from "../bundle/dtype.js";
import { readBundle } from "../bundle/load-bundle.js";
import { CANARY_CHILD } from "../device/canary-child.js";
import { onnxRuntimeNodePath } from "../device/onnxruntime-path.js";
import { openSessions } from "./open-sessions.js";
import type { Sessions } from "./session-set.js";

/** What a provider probe found. */
export interface ProbeResult {
  ok: boolean;
  /** Why not, or what ran. */
  detail: string;
}

/** A call the engine made, recorded for replay. */
interface RecordedCall {
  file: string;
  feeds: { name: string; type: string; dims: readonly number[]; data: string }[];
  fetch: string[];
  expected: Record<string, Float32Array>;
}

const probes = new Map<string, Promise<ProbeResult>>();
const PROBE_TIMEOUT_MS = 120_000;

/**
 * Proves that a GPU provider runs RGE's graphs before `device: "auto"` commits to it. A provider that cannot run
 * an operation may crash the process (a segfault cannot be caught), so the proof runs in a child process: the
 * engine runs a tiny random model of the bundle's dtype on the CPU provider (an image query and a text query
 * batched together, then a target, for both decoder KV contracts) while every graph call is recorded; the child
 * replays those calls on the provider; each float output must be finite and match the CPU's (cosine ≥ 0.999).
 * The tiny model is built by the same graph builder as converted bundles, so it has their operations. One probe
 * per provider and dtype per process.
 */
export function probeProvider(provider: "cuda" | "webgpu", dtype: RgeDtype): Promise<ProbeResult> {
  const key = `${provider}:${dtype}`;
  let probe = probes.get(key);
  if (!probe) {
    probe = runProbe(provider, dtype, CANARY_CHILD);
    probes.set(key, probe);
  }
  return probe;
}

/** One probe, not cached; `child` is the replay program's source (tests give one that crashes). */
export async function runProbe(provider: "cuda" | "webgpu", dtype: RgeDtype, child: string): Promise<ProbeResult> {
  const dir = mkdtempSync(join(tmpdir(), "rge-probe-"));
  try {
    const calls: RecordedCall[] = [];
    for (const kvOutputs of ["new", "present"] as const) calls.push(...(await recordCanary(join(dir, kvOutputs), dtype, kvOutputs)));
    const spec = join(dir, "spec.json");
    const out = join(dir, "out.json");
    writeFileSync(spec, JSON.stringify({ calls: calls.map(({ expected: _, ...call }) => call) }));
    const failure = await runChild(child, [onnxRuntimeNodePath(), spec, out, provider]);
    if (failure) return { ok: false, detail: `the probe run on ${provider} ${failure}` };
    const results = JSON.parse(readFileSync(out, "utf8")) as Record<string, string>[];
    for (let i = 0; i < calls.length; i++) {
      for (const [name, expected] of Object.entries(calls[i]!.expected)) {
        const bytes = Buffer.from(results[i]![name]!, "base64");
        const got = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
        const problem = compare(got, expected);
        if (problem) return { ok: false, detail: `${provider} computed ${name} of ${calls[i]!.file.split(/[\\/]/).pop()} wrongly (${problem})` };
      }
    }
    return { ok: true, detail: `a probe run of ${calls.length} graph calls on ${provider} matched the CPU` };
  } catch (error) {
    return { ok: false, detail: `the probe could not run (${(error as Error).message.split("\n")[0]})` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs the tiny model on CPU and records every graph call with its float32 outputs. */
async function recordCanary(dir: string, dtype: RgeDtype, kvOutputs: "new" | "present"): Promise<RecordedCall[]> {
  // Loaded on demand: the model and the tiny-model writer are only needed when a probe runs.
  const [{ RgeModel }, { NODE_IMAGE_LOADER }, { writeTinyBundle }, { gradientPng }] = await Promise.all([
    import("./model.js"),
    import("../preprocess/image/image-source.js"),
    import("../testing/tiny-model.js"),
    import("../testing/test-images.js"),
  ]);
  writeTinyBundle(dir, { seed: 11, dtype, kvOutputs });
  const bundle = readBundle(dir, dtype);
  const cpu = await openSessions(bundle, "cpu");
  const calls: RecordedCall[] = [];
  const record = (session: ort.InferenceSession, file: string): ort.InferenceSession =>
    new Proxy(session, {
      get(target, prop, receiver) {
        if (prop !== "run") return Reflect.get(target, prop, receiver);
        return async (feeds: Record<string, ort.Tensor>) => {
          const out = await target.run(feeds);
          const fetch = Object.keys(out).filter((n) => out[n]!.type === "float32");
          calls.push({
            file,
            feeds: Object.entries(feeds).map(([name, t]) => ({ name, type: t.type, dims: t.dims, data: bytesOf(t.data as ArrayBufferView) })),
            fetch,
            expected: Object.fromEntries(fetch.map((n) => [n, Float32Array.from(out[n]!.data as Float32Array)])),
          });
          return out;
        };
      },
    });
  const sessions: Sessions = {
    visionEncoder: record(cpu.visionEncoder, bundle.graphs.visionEncoder),
    embedTokens: record(cpu.embedTokens, bundle.graphs.embedTokens),
    decoder: record(cpu.decoder, bundle.graphs.decoder),
    provider: "cpu",
  };
  const model = new RgeModel(bundle, sessions, { batchSize: 2, maxNewTokens: 3, cacheSize: 0, allowNetwork: false }, NODE_IMAGE_LOADER);
  try {
    await model.embedQueries([{ text: "canary", image: await gradientPng(56, 84) }, { text: "a second, longer canary row" }]);
    await model.embedTarget({ text: "canary target" });
  } finally {
    await model.dispose();
  }
  return calls;
}

function bytesOf(data: ArrayBufferView): string {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("base64");
}

/** Why `got` is not `expected` up to provider rounding, or undefined. */
function compare(got: Float32Array, expected: Float32Array): string | undefined {
  if (got.length !== expected.length) return `${got.length} values instead of ${expected.length}`;
  let dot = 0;
  let ng = 0;
  let ne = 0;
  for (let i = 0; i < got.length; i++) {
    const g = got[i]!;
    if (!Number.isFinite(g)) return `a non-finite value at ${i}`;
    dot += g * expected[i]!;
    ng += g * g;
    ne += expected[i]! * expected[i]!;
  }
  if (ng < 1e-20 && ne < 1e-20) return undefined;
  const cosine = dot / Math.sqrt(ng * ne);
  return cosine >= 0.999 ? undefined : `cosine ${cosine.toFixed(4)} to the CPU's`;
}

/** Runs the replay program; resolves with undefined when it succeeded, else with what went wrong. */
function runChild(source: string, args: string[]): Promise<string | undefined> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", source, ...args], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    const timer = setTimeout(() => child.kill("SIGKILL"), PROBE_TIMEOUT_MS);
    child.on("error", (error) => resolve(`could not start (${error.message})`));
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) return resolve(undefined);
      const lines = stderr.split("\n").filter((l) => l.trim() && !l.startsWith("Warning:") && !/^\s+at |^Node\.js v/.test(l));
      const last = lines.filter((l) => /Error\b/.test(l)).pop() ?? lines.pop() ?? "";
      resolve(signal ? `crashed (${signal})` : `failed (exit ${code}${last ? `: ${last.trim().slice(0, 300)}` : ""})`);
    });
  });
}
