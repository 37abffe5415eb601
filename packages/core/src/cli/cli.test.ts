import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { tempDir } from "../testing/temp-dir.js";

const pkg = join(import.meta.dirname, "..", "..");
const tsx = join(pkg, "node_modules", ".bin", "tsx");
const checkpoint = join(pkg, "src", "convert", "__fixtures__", "reference", "checkpoint");
const out = tempDir();
afterAll(() => out.remove());

function rge(...args: string[]) {
  return spawnSync(tsx, ["--conditions=@rge/source", join(pkg, "src", "cli", "main.ts"), ...args], { encoding: "utf8" });
}

describe("rge CLI", () => {
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
    expect(usage.stderr).toMatch(/rge convert <checkpoint-dir> <out-dir>/);
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
