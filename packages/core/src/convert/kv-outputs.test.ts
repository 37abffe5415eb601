import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { afterAll, describe, expect, it } from "vitest";
import { loadRgeModel } from "../engine/rge-model.js";
import { tempDir } from "../testing/temp-dir.js";
import { convertCheckpoint } from "./convert-checkpoint.js";

const fixtures = join(import.meta.dirname, "__fixtures__", "reference");
const reference = JSON.parse(readFileSync(join(fixtures, "reference.json"), "utf8")) as {
  max_new_tokens: number;
  queries: { text?: string; image?: string; instruction: string; generated_ids: number[]; embedding: number[] }[];
};
const dirs: { remove: () => void }[] = [];
afterAll(() => dirs.forEach((d) => d.remove()));

describe.each(["new", "present"] as const)("decoder KV outputs %s", (kvOutputs) => {
  it("has the matching graph outputs and reproduces the reference, batched and with continuous batching", async () => {
    const out = tempDir();
    dirs.push(out);
    await convertCheckpoint(join(fixtures, "checkpoint"), out.dir, { kvOutputs });
    const session = await ort.InferenceSession.create(join(out.dir, "onnx", "decoder_model_merged.onnx"));
    expect(session.outputNames).toContain(kvOutputs === "new" ? "new_key_values.0.key" : "present.0.key");
    await session.release();

    const model = await loadRgeModel(out.dir, { maxNewTokens: reference.max_new_tokens, batchSize: 2, cacheSize: 0 });
    const inputs = reference.queries.map((q) => ({
      ...(q.text !== undefined ? { text: q.text } : {}),
      ...(q.image !== undefined ? { image: join(fixtures, "images", q.image) } : {}),
      instruction: q.instruction,
    }));
    const results = await model.embedQueries(inputs); // 5 queries through 2 slots: rows join mid-generation
    results.forEach((r, i) => {
      expect(r.generatedIds).toEqual(reference.queries[i]!.generated_ids);
      expect(r.embedding.every((v, k) => Math.abs(v - reference.queries[i]!.embedding[k]!) < 1e-4)).toBe(true);
    });
    await model.dispose();
  });
});
