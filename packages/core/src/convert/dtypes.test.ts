import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadRgeModel, type RgeModel } from "../engine/rge-model.js";
import { dot } from "../engine/vector.js";
import { tempDir } from "../testing/temp-dir.js";
import { convertCheckpoint } from "./convert-checkpoint.js";

const fixtures = join(import.meta.dirname, "__fixtures__", "reference");
const reference = JSON.parse(readFileSync(join(fixtures, "reference.json"), "utf8")) as {
  queries: { text?: string; image?: string; instruction: string }[];
  targets: { text?: string; image?: string; instruction: string }[];
};
const inputs = [...reference.queries, ...reference.targets].map((item) => ({
  ...(item.text !== undefined ? { text: item.text } : {}),
  ...(item.image !== undefined ? { image: join(fixtures, "images", item.image) } : {}),
  instruction: item.instruction,
}));

const out = tempDir();
let fp32: RgeModel;
let fp32Targets: Float32Array[];
let fp32Queries: { embedding: Float32Array; generatedIds: number[] }[];

beforeAll(async () => {
  await convertCheckpoint(join(fixtures, "checkpoint"), out.dir, { dtypes: ["fp32", "fp16", "q8", "q4"] });
  fp32 = await loadRgeModel(out.dir, { maxNewTokens: 24 });
  fp32Targets = (await fp32.embedTargets(inputs)).map((t) => t.embedding);
  fp32Queries = await fp32.embedQueries(inputs.slice(0, reference.queries.length));
});
afterAll(async () => {
  await fp32.dispose();
  out.remove();
});

/** Smallest cosine between the dtype's one-pass embeddings (targets, queries without reasoning) and fp32's. */
async function minCosine(model: RgeModel): Promise<number> {
  const targets = await model.embedTargets(inputs);
  const noReasoning = await model.embedQueries(inputs, { reasoning: false });
  const fp32NoReasoning = await fp32.embedQueries(inputs, { reasoning: false });
  return Math.min(
    ...targets.map((t, i) => dot(t.embedding, fp32Targets[i]!)),
    ...noReasoning.map((q, i) => dot(q.embedding, fp32NoReasoning[i]!.embedding)),
  );
}

describe("quantized and half-precision bundles", () => {
  it("fp16 stays within cosine 0.99 of fp32, rationales included", async () => {
    const m = await loadRgeModel(out.dir, { dtype: "fp16", maxNewTokens: 24 });
    expect(await minCosine(m)).toBeGreaterThan(0.99);
    const queries = await m.embedQueries(inputs.slice(0, reference.queries.length));
    queries.forEach((q, i) => {
      expect(q.generatedIds).toEqual(fp32Queries[i]!.generatedIds);
      expect(dot(q.embedding, fp32Queries[i]!.embedding)).toBeGreaterThan(0.99);
    });
    await m.dispose();
  });

  // 0.999, not 0.99: int8 products that saturate in ORT's AVX2 kernel (8-bit weight codes) gave 0.9959 here.
  it("q8 stays within cosine 0.999 of fp32", async () => {
    const m = await loadRgeModel(out.dir, { dtype: "q8" });
    expect(await minCosine(m)).toBeGreaterThan(0.999);
    await m.dispose();
  });

  it("q4 stays within cosine 0.95 of fp32 (its rationales may differ: argmax is sensitive to 4-bit weights)", async () => {
    const m = await loadRgeModel(out.dir, { dtype: "q4" });
    expect(await minCosine(m)).toBeGreaterThan(0.95);
    await m.dispose();
  });

  it("writes smaller decoders for smaller dtypes", async () => {
    const size = (f: string) => statSync(join(out.dir, "onnx", f)).size;
    expect(size("decoder_model_merged_fp16.onnx")).toBeLessThan(size("decoder_model_merged.onnx") * 0.6);
    expect(size("decoder_model_merged_q4.onnx")).toBeLessThan(size("decoder_model_merged_quantized.onnx"));
  });
});
