import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DTYPES } from "@rge/core";
import { tempDir, writeTinyBundle } from "@rge/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeMmebFixture, type MmebFixture } from "../testing/mmeb-fixture.js";
import { parseEvalArgs } from "./parse-args.js";

const pkg = join(import.meta.dirname, "..", "..");
const tsx = join(pkg, "node_modules", ".bin", "tsx");
const tmp = tempDir("rge-eval-cli-");
let fixture: MmebFixture;
let bundle: string;

beforeAll(async () => {
  fixture = await writeMmebFixture(join(tmp.dir, "fixture"));
  bundle = writeTinyBundle(join(tmp.dir, "bundle"), { seed: 2 }).dir;
});
afterAll(() => tmp.remove());

function rgeEval(...args: string[]) {
  return spawnSync(tsx, ["--conditions=@rge/source", join(pkg, "src", "cli", "main.ts"), ...args], { encoding: "utf8" });
}

describe("rge-eval", () => {
  it("runs the fixture on a bundle and prints the report beside the paper's figures", () => {
    const out = join(tmp.dir, "out");
    const base = ["--data", fixture.data, "--images", fixture.images, "--model", bundle, "--out", out];
    const r = rgeEval(...base, "--subsets", "ImageNet-1K,HatefulMemes", "--reasoning", "off", "--max-new-tokens", "4");
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/MMEB Precision@1, reasoning off/);
    expect(r.stdout).toMatch(/Overall\s+\S+\s+65\.2\s+2\/2/);
    expect(r.stdout).toContain(join(out, "reasoning-off"));
    expect(r.stderr).toMatch(/ImageNet-1K \[reasoning off\]: \d/);
  });

  it("warns about a truncated cache chunk, naming it, and prints the same report as the clean run", () => {
    const out = join(tmp.dir, "out-truncated");
    const args = ["--data", fixture.data, "--images", fixture.images, "--model", bundle, "--out", out, "--subsets", "ImageNet-1K", "--reasoning", "off"];
    const clean = rgeEval(...args);
    expect(clean.status, clean.stderr).toBe(0);
    const cache = join(out, "cache");
    const chunk = readdirSync(cache).map((space) => join(cache, space, "ImageNet-1K", "target", "chunk-000001.json")).find((f) => existsSync(f))!;
    writeFileSync(chunk, readFileSync(chunk, "utf8").slice(0, 100));
    const rerun = rgeEval(...args);
    expect(rerun.status, rerun.stderr).toBe(0);
    expect(rerun.stderr).toContain(`Discarded the embedding cache chunk ${chunk}: it is not valid JSON`);
    expect(rerun.stdout).toBe(clean.stdout);
  });

  it("exits 2 on a usage mistake and 1, with the error code, on a missing subset", () => {
    expect(rgeEval("--data", fixture.data).status).toBe(2);
    expect(rgeEval("--data", "d", "--images", "i", "--model", "m", "--reasoning", "maybe").stderr).toMatch(/--reasoning must be one of "on", "off", "both", got "maybe"/);
    expect(rgeEval("--frobnicate").status).toBe(2);
    const r = rgeEval("--data", fixture.data, "--images", fixture.images, "--model", bundle, "--subsets", "GQA");
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/have no folder in .*: GQA\..*\[RGE_EVAL_DATA_INVALID\]/s);
  });

  it("exits 2 with the typed error naming the flag for a value that is not a positive integer (no NaN reaches the run)", () => {
    const r = rgeEval("--data", fixture.data, "--images", fixture.images, "--model", bundle, "--batch-size", "abc");
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('rge-eval: --batch-size must be an integer ≥ 1, got "abc". [RGE_INVALID_OPTION]');
  });
});

describe("parseEvalArgs", () => {
  const required = ["--data", "d", "--images", "i", "--model", "m"];
  it("refuses flag values of the wrong kind with InvalidOptionError naming the flag, the rule and the value", () => {
    const cases: [string[], string][] = [
      [["--batch-size", "abc"], '--batch-size must be an integer ≥ 1, got "abc".'],
      [["--max-new-tokens", "0"], "--max-new-tokens must be an integer ≥ 1, got 0."],
      [["--chunk-size", "1.5"], '--chunk-size must be an integer ≥ 1, got "1.5".'],
      [["--threads", "1e3"], '--threads must be an integer ≥ 1, got "1e3".'],
      [["--threads=-2"], '--threads must be an integer ≥ 1, got "-2".'],
      [["--min-pixels", "0"], "--min-pixels must be an integer ≥ 1, got 0."],
      [["--max-pixels", "lots"], '--max-pixels must be an integer ≥ 1, got "lots".'],
      [["--reasoning", "yes"], '--reasoning must be one of "on", "off", "both", got "yes".'],
      [["--dtype", "q3"], `--dtype must be one of ${DTYPES.map((d) => JSON.stringify(d)).join(", ")}, got "q3".`],
      [["--device", "gpu"], '--device must be one of "cpu", "cuda", "webgpu", "auto", got "gpu".'],
    ];
    for (const [flag, message] of cases) {
      expect(() => parseEvalArgs([...required, ...flag])).toThrow(expect.objectContaining({ code: "RGE_INVALID_OPTION", message }));
    }
  });

  it("maps flags to evaluateMmeb options, subsets comma-separated or repeated", () => {
    const o = parseEvalArgs(["--data", "d", "--images", "i", "--model", "m", "--subsets", "A,B", "--subsets", "C", "--reasoning", "both", "--dtype", "q8", "--threads", "2", "--skip-bad-rows"]);
    expect(parseEvalArgs([...required, "--batch-size", "16", "--chunk-size", "4"])).toMatchObject({ modelOptions: { batchSize: 16 }, chunkSize: 4 });
    expect(parseEvalArgs([...required, "--min-pixels", "784", "--max-pixels", "200704"]).modelOptions).toEqual({ minPixels: 784, maxPixels: 200704 });
    expect(o).toEqual({
      data: "d",
      images: "i",
      model: "m",
      subsets: ["A", "B", "C"],
      reasoning: "both",
      modelOptions: { dtype: "q8", threads: 2 },
      skipBadRows: true,
    });
  });
});
