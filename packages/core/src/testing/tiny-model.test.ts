import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { tempDir } from "./temp-dir.js";
import { writeTinyBundle } from "./tiny-model.js";

const dirs = [tempDir(), tempDir(), tempDir()];
afterAll(() => dirs.forEach((d) => d.remove()));

function files(dir: string): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    if (name.includes(".")) out[name] = readFileSync(join(dir, name));
  }
  return out;
}

describe("writeTinyBundle", () => {
  it("is deterministic per seed and different across seeds", () => {
    writeTinyBundle(dirs[0]!.dir, { seed: 3 });
    writeTinyBundle(dirs[1]!.dir, { seed: 3 });
    writeTinyBundle(dirs[2]!.dir, { seed: 4 });
    const [a, b, c] = dirs.map((d) => files(d.dir));
    expect(Object.keys(a!).sort()).toEqual(Object.keys(b!).sort());
    for (const name of Object.keys(a!)) expect(a![name]!.equals(b![name]!)).toBe(true);
    expect(a!["onnx/decoder_model_merged.onnx"]!.equals(c!["onnx/decoder_model_merged.onnx"]!)).toBe(false);
  });

  it("writes a small bundle in the transformers.js layout", () => {
    const written = files(dirs[0]!.dir);
    for (const name of ["config.json", "generation_config.json", "preprocessor_config.json", "tokenizer.json", "tokenizer_config.json", "rge.json"]) {
      expect(written[name]).toBeDefined();
    }
    for (const graph of ["vision_encoder", "embed_tokens", "decoder_model_merged"]) expect(written[`onnx/${graph}.onnx`]).toBeDefined();
    const total = Object.values(written).reduce((s, f) => s + f.byteLength, 0);
    expect(total).toBeLessThan(1_000_000);
  });
});
