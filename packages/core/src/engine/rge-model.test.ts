import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gradientPng } from "../testing/test-images.js";
import { tempDir } from "../testing/temp-dir.js";
import { writeTinyBundle } from "../testing/tiny-model.js";
import { loadRgeModel, type QueryEmbedding, type RgeModel } from "./rge-model.js";
import type { RgeInput } from "./prepare.js";

const tmp = tempDir();
let model: RgeModel;
let embTokenId: number;
let queries: RgeInput[];

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
}

beforeAll(async () => {
  ({ embTokenId } = writeTinyBundle(tmp.dir, { seed: 7 }));
  model = await loadRgeModel(tmp.dir, { batchSize: 16, maxNewTokens: 48, cacheSize: 0 }); // comparisons must run the model each time
  queries = [
    { text: "What is in the image?", image: await gradientPng(64, 48) },
    { text: "cat" },
    { text: "Find a photo of a red car parked beside a tall tree in the snow" },
    { image: await gradientPng(30, 90, 17) },
    { text: "dog", instruction: "Answer a question based on the given image:", image: await gradientPng(56, 56, 99) },
    { text: "where is the nearest bakery that sells sourdough" },
    { text: "sky", instruction: null },
  ];
});

afterAll(async () => {
  await model.dispose();
  tmp.remove();
});

describe("RgeModel queries", () => {
  it("returns unit-length embeddings of the model's dimension with rationale and token counts", async () => {
    const [q] = await model.embedQueries([queries[0]!]);
    expect(q!.embedding).toBeInstanceOf(Float32Array);
    expect(q!.embedding.length).toBe(model.dimension);
    const norm = Math.sqrt(q!.embedding.reduce((s, v) => s + v * v, 0));
    expect(norm).toBeCloseTo(1, 5);
    expect(["emb", "maxNewTokens"]).toContain(q!.stoppedBy);
    expect(q!.tokens.generated).toBeGreaterThan(0);
    expect(q!.tokens.prompt).toBeGreaterThan(20);
  });

  it("gives each item of a mixed, left-padded batch the same tokens and embedding as running it alone", async () => {
    const batch = await model.embedQueries(queries);
    const alone: QueryEmbedding[] = [];
    for (const q of queries) alone.push(await model.embedQuery(q)); // awaited one by one: batches of one
    batch.forEach((b, i) => {
      expect(b.rationale).toBe(alone[i]!.rationale);
      expect(b.tokens).toEqual(alone[i]!.tokens);
      expect(b.stoppedBy).toBe(alone[i]!.stoppedBy);
      expect(maxAbsDiff(b.embedding, alone[i]!.embedding)).toBeLessThan(1e-5);
    });
    // The batch really mixes lengths and stop reasons, so padding and early exits are exercised.
    expect(new Set(batch.map((b) => b.tokens.prompt)).size).toBeGreaterThan(3);
    expect(new Set(batch.map((b) => b.tokens.generated)).size).toBeGreaterThan(2);
  });

  it("stops rows independently: an early <emb> row ends there while others keep generating", async () => {
    const batch = await model.embedQueries(queries);
    const stoppedEarly = batch.filter((b) => b.stoppedBy === "emb");
    const longest = Math.max(...batch.map((b) => b.tokens.generated));
    expect(stoppedEarly.length).toBeGreaterThan(0);
    expect(stoppedEarly.some((b) => b.tokens.generated < longest)).toBe(true);
    for (const b of stoppedEarly) {
      // The rationale holds no <emb>: generation ended at the first one.
      expect(b.rationale.includes("<emb>")).toBe(false);
    }
  });

  it("embeds a query without reasoning exactly like a target with the same prompt", async () => {
    const input = { text: "A cat and a dog.", image: await gradientPng(40, 40), instruction: "Summarize:" };
    const q = await model.embedQuery(input, { reasoning: false });
    const t = await model.embedTarget(input);
    expect(q.stoppedBy).toBe("noReasoning");
    expect(q.rationale).toBe("");
    expect(maxAbsDiff(q.embedding, t.embedding)).toBeLessThan(1e-6);
  });

  it("respects a per-call maxNewTokens", async () => {
    const qs = await model.embedQueries(queries, { maxNewTokens: 2 });
    for (const q of qs) expect(q.tokens.generated).toBeLessThanOrEqual(2);
  });
});

describe("RgeModel targets", () => {
  it("gives a batch the same embeddings as each target alone", async () => {
    const targets: RgeInput[] = [
      { text: "A short passage." },
      { image: await gradientPng(80, 40, 3) },
      { text: "A longer passage about retrieval with reasoning embeddings, and more words.", image: await gradientPng(50, 70) },
    ];
    const batch = await model.embedTargets(targets);
    for (const [i, t] of targets.entries()) {
      const alone = await model.embedTarget(t);
      expect(maxAbsDiff(batch[i]!.embedding, alone.embedding)).toBeLessThan(1e-5);
    }
  });

  it("uses different default instructions for queries and targets", async () => {
    const q = await model.embedQuery({ text: "hello" }, { reasoning: false });
    const t = await model.embedTarget({ text: "hello" });
    expect(maxAbsDiff(q.embedding, t.embedding)).toBeGreaterThan(1e-3);
  });
});

describe("tiny model <emb> behaviour", () => {
  it("never stops on <emb> when built with emb: 'never'", async () => {
    const never = tempDir();
    writeTinyBundle(never.dir, { seed: 7, emb: "never" });
    const m = await loadRgeModel(never.dir, { maxNewTokens: 12 });
    const qs = await m.embedQueries(queries);
    for (const q of qs) {
      expect(q.stoppedBy).toBe("maxNewTokens");
      expect(q.tokens.generated).toBe(12);
    }
    await m.dispose();
    never.remove();
    expect(embTokenId).toBe(263);
  });
});

describe("RgeModel.stats", () => {
  it("counts forward passes and the rows they carried: three documents are one pass of three rows", async () => {
    const before = model.stats();
    await model.embedTargets([{ text: "one" }, { text: "two two" }, { text: "three three three" }]);
    const after = model.stats();
    expect(after.passes - before.passes).toBe(1);
    expect(after.rows - before.rows).toBe(3);
    expect(after.batchSize).toBe(16);
    expect(after.waiting).toBe(0);
  });

  it("counts each decode step of a reasoning batch with the rows still in it", async () => {
    const before = model.stats();
    const results = await model.embedQueries([{ text: "cat" }, { text: "a long question about the weather" }]);
    const after = model.stats();
    const steps = Math.max(...results.map((r) => r.tokens.generated));
    // One prefill, then one step per generated token of the longest row; a row that has finished leaves.
    expect(after.passes - before.passes).toBe(1 + steps);
    expect(after.rows - before.rows).toBe(2 + results.reduce((s, r) => s + r.tokens.generated, 0));
  });
});
