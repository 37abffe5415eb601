import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadRgeModel, type RgeModel } from "../engine/rge-model.js";
import { tempDir } from "../testing/temp-dir.js";
import { convertCheckpoint } from "./convert-checkpoint.js";

/**
 * Parity with the RGE reference implementation: tools/reference/rge_reference_fixtures.py ran the authors'
 * procedure (transformers 4.51.3, torch 2.6.0, float32) on a tiny random Qwen2.5-VL checkpoint. Our
 * converter + engine must reproduce its generated ids exactly and its embeddings within 1e-4.
 */
const fixtures = join(import.meta.dirname, "__fixtures__", "reference");
const script = join(import.meta.dirname, "..", "..", "..", "..", "tools", "reference", "rge_reference_fixtures.py");

interface RefItem {
  name: string;
  text?: string;
  image?: string;
  instruction: string;
  prompt: string;
  input_ids: number[];
  image_grid_thw?: number[][];
  generated_ids?: number[];
  stopped_by?: string;
  embedding: number[];
}
const reference = JSON.parse(readFileSync(join(fixtures, "reference.json"), "utf8")) as {
  script_sha256: string;
  max_new_tokens: number;
  queries: RefItem[];
  targets: RefItem[];
  target_batch_embeddings: number[][];
};

const out = tempDir();
let model: RgeModel;

beforeAll(async () => {
  await convertCheckpoint(join(fixtures, "checkpoint"), out.dir);
  model = await loadRgeModel(out.dir, { maxNewTokens: reference.max_new_tokens, cacheSize: 0 }); // batch runs must not reuse single results
});
afterAll(async () => {
  await model?.dispose();
  out.remove();
});

const input = (item: RefItem) => ({
  ...(item.text !== undefined ? { text: item.text } : {}),
  ...(item.image !== undefined ? { image: join(fixtures, "images", item.image) } : {}),
  instruction: item.instruction,
});

function maxAbsDiff(a: Float32Array, b: number[]): number {
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
}

describe("parity with the RGE reference implementation", () => {
  it("uses fixtures made by the current reference script", () => {
    const hash = createHash("sha256").update(readFileSync(script)).digest("hex");
    expect(hash, "tools/reference/rge_reference_fixtures.py changed: regenerate the fixtures").toBe(reference.script_sha256);
  });

  it("exercises both stop paths", () => {
    const stops = new Set(reference.queries.map((q) => q.stopped_by));
    expect(stops).toEqual(new Set(["emb", "maxNewTokens"]));
  });

  for (const item of reference.queries) {
    it(`query "${item.name}": same prompt ids, same generated ids, embedding within 1e-4`, async () => {
      const prompt = await model.preparePrompt(input(item), { role: "query" });
      const padCount = (item.image_grid_thw ?? []).reduce((s, [t, h, w]) => s + (t! * h! * w!) / 4, 0);
      expect(prompt.text).toBe(item.prompt.replace("<|image_pad|>", "<|image_pad|>".repeat(padCount)));
      expect(prompt.ids).toEqual(item.input_ids);
      expect(prompt.imageGrids).toEqual(item.image_grid_thw ?? []);
      const q = await model.embedQuery(input(item));
      expect(q.generatedIds).toEqual(item.generated_ids);
      expect(q.stoppedBy).toBe(item.stopped_by);
      expect(maxAbsDiff(q.embedding, item.embedding)).toBeLessThan(1e-4);
    });
  }

  it("queries as one batch give the reference's one-at-a-time results", async () => {
    const batch = await model.embedQueries(reference.queries.map(input));
    batch.forEach((q, i) => {
      expect(q.generatedIds).toEqual(reference.queries[i]!.generated_ids);
      expect(maxAbsDiff(q.embedding, reference.queries[i]!.embedding)).toBeLessThan(1e-4);
    });
  });

  for (const item of reference.targets) {
    it(`target "${item.name}": same prompt ids, embedding within 1e-4`, async () => {
      const prompt = await model.preparePrompt(input(item), { role: "target" });
      expect(prompt.ids).toEqual(item.input_ids);
      const t = await model.embedTarget(input(item));
      expect(maxAbsDiff(t.embedding, item.embedding)).toBeLessThan(1e-4);
    });
  }

  it("targets as one left-padded batch match the reference's batch", async () => {
    const batch = await model.embedTargets(reference.targets.map(input));
    batch.forEach((t, i) => expect(maxAbsDiff(t.embedding, reference.target_batch_embeddings[i]!)).toBeLessThan(1e-4));
  });
});
