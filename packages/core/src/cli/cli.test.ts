import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MockHub } from "../testing/mock-hub.js";
import { tempDir } from "../testing/temp-dir.js";

const pkg = join(import.meta.dirname, "..", "..");
const tsx = join(pkg, "node_modules", ".bin", "tsx");
const checkpoint = join(pkg, "src", "convert", "__fixtures__", "reference", "checkpoint");
const out = tempDir();
afterAll(() => out.remove());

const cliArgs = (args: string[]) => ["--conditions=@rge/source", join(pkg, "src", "cli", "main.ts"), ...args];

function rge(...args: string[]) {
  return spawnSync(tsx, cliArgs(args), { encoding: "utf8" });
}

/** Like `rge`, without blocking this process (which serves the mock hub). */
function rgeAsync(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const env = { ...process.env };
  delete env.HF_TOKEN;
  const child = spawn(tsx, cliArgs(args), { env });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d));
  child.stderr.on("data", (d: Buffer) => (stderr += d));
  return new Promise((resolve) => child.on("close", (status) => resolve({ status, stdout, stderr })));
}

describe("rge CLI", () => {
  it("rge serve says how to install @rge/server when neither the project nor core can find it", () => {
    // tsx itself, not its pnpm shim: the shim puts the whole workspace on NODE_PATH, where @rge/server is.
    const env = { ...process.env };
    delete env.NODE_PATH;
    const r = spawnSync(process.execPath, [join(pkg, "node_modules", "tsx", "dist", "cli.mjs"), ...cliArgs(["serve", "./bundle"])], { encoding: "utf8", cwd: out.dir, env });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/@rge\/server is not installed.*npm i @rge\/server/);
  });

  it("converts a checkpoint and lists the files it wrote", () => {
    const bundle = join(out.dir, "bundle");
    const r = rge("convert", checkpoint, bundle);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/onnx\/decoder_model_merged\.onnx/);
    expect(existsSync(join(bundle, "rge.json"))).toBe(true);
  });

  it("exits 2 with usage on a missing argument and 1 with the error code on a bad checkpoint", () => {
    const usage = rge("convert", checkpoint);
    expect(usage.status).toBe(2);
    expect(usage.stderr).toMatch(/rge convert <checkpoint-dir \| org\/name> <out-dir>/);
    const bad = rge("convert", join(out.dir, "nowhere"), join(out.dir, "b2"));
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/\[RGE_CHECKPOINT_INVALID\]/);
    expect(rge("frobnicate").status).toBe(2);
  });
});

describe("rge edit-decoder", () => {
  it("reports an RGE-ready decoder as already done", () => {
    const decoder = join(out.dir, "bundle", "onnx", "decoder_model_merged.onnx");
    if (!existsSync(decoder)) rge("convert", checkpoint, join(out.dir, "bundle"));
    const r = rge("edit-decoder", decoder);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/already RGE-ready/);
  });
});

describe("rge pull, rge cache and rge convert with a hub id", () => {
  let hub: MockHub;
  const caches = tempDir();
  const where = () => ["--endpoint", hub.url, "--cache-dir", join(caches.dir, "rge"), "--hub-cache-dir", join(caches.dir, "hf")];
  beforeAll(async () => {
    hub = await MockHub.start();
    hub.addRepo("org/rge-tiny", checkpoint);
  });
  afterAll(async () => {
    await hub.close();
    caches.remove();
  });

  it("two concurrent pulls download each file once, convert once and both print the bundle", async () => {
    const [a, b] = await Promise.all([rgeAsync("pull", "org/rge-tiny", ...where()), rgeAsync("pull", "org/rge-tiny", ...where())]);
    expect(a.status, a.stderr).toBe(0);
    expect(b.status, b.stderr).toBe(0);
    const dir = /\n  (\S+)\n/.exec(a.stdout)![1]!;
    expect(b.stdout).toContain(dir);
    expect(existsSync(join(dir, "rge.json"))).toBe(true);
    expect(a.stderr + b.stderr).toMatch(/MB to download/);
    expect(hub.downloadsOf("model-00001-of-00003.safetensors").length).toBe(1);
    expect(hub.downloadsOf("config.json").length).toBe(1);
  });

  it("a second pull is served from the cache, and cache ls lists bundle and checkpoint", async () => {
    const before = hub.requests.length;
    const again = await rgeAsync("pull", "org/rge-tiny", ...where());
    expect(again.stdout).toMatch(/already in the cache/);
    expect(hub.requests.length).toBe(before);
    const ls = await rgeAsync("cache", "ls", "--json", ...where().slice(2));
    const listing = JSON.parse(ls.stdout) as { bundles: { repo: string; dtype: string }[]; checkpoints: { repo: string }[] };
    expect(listing.bundles.map((b) => [b.repo, b.dtype])).toEqual([["org/rge-tiny", "fp32"]]);
    expect(listing.checkpoints.map((c) => c.repo)).toEqual(["org/rge-tiny"]);
  });

  it("rge convert takes a hub id, using the checkpoint already cached", async () => {
    const before = hub.requests.length;
    const out = join(caches.dir, "converted");
    const r = await rgeAsync("convert", "org/rge-tiny", out, "--dtype", "q8", ...where());
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(join(out, "onnx", "decoder_model_merged_quantized.onnx"))).toBe(true);
    expect(hub.requests.length).toBe(before);
  });

  it("cache rm frees the bundle and the checkpoint; a missing repo exits 1 with its code", async () => {
    const rm = await rgeAsync("cache", "rm", "org/rge-tiny", "--checkpoint", ...where().slice(2));
    expect(rm.status, rm.stderr).toBe(0);
    expect(rm.stdout).toMatch(/freed \d/);
    const ls = await rgeAsync("cache", "ls", ...where().slice(2));
    expect(ls.stdout.match(/\(none\)/g)?.length).toBe(2);
    const missing = await rgeAsync("pull", "org/nothing", ...where());
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/\[RGE_HUB_NOT_FOUND\]/);
    const usage = await rgeAsync("cache", "frob");
    expect(usage.status).toBe(2);
  });
});
