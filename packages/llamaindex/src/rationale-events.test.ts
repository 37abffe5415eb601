import { loadRgeModel, type RgeModel } from "@rge/core";
import { tempDir, writeTinyBundle } from "@rge/core/testing";
import { CallbackManager, Document, Settings, VectorStoreIndex } from "llamaindex";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RgeRationaleEvent, RgeRationaleTokenEvent } from "./rationale-events.js";
import { RgeLlamaEmbedding } from "./rge-llama-embedding.js";
import { RgeLlamaRetriever } from "./rge-llama-retriever.js";

const tmp = tempDir("rge-llamaindex-events-");
let model: RgeModel;
beforeAll(async () => {
  writeTinyBundle(tmp.dir, { seed: 11, embStrength: 1.2 }); // rationales of 14 to 30 tokens
  model = await loadRgeModel(tmp.dir, { maxNewTokens: 30 });
});
afterAll(async () => {
  await model.dispose();
  tmp.remove();
});

/** A callback manager that records RGE's events, typed by the event map the package augments. */
function listen() {
  const manager = new CallbackManager();
  const tokens: RgeRationaleTokenEvent[] = [];
  const rationales: RgeRationaleEvent[] = [];
  const order: string[] = [];
  manager.on("rge-rationale-token", (e) => void (tokens.push(e.detail), order.push("token")));
  manager.on("rge-rationale", (e) => void (rationales.push(e.detail), order.push("rationale")));
  return { manager, tokens, rationales, order };
}

describe("rationale events on Settings.callbackManager", () => {
  it("streams each query's pieces, then its rationale with the result, under one id per query", async () => {
    const embedding = new RgeLlamaEmbedding({ model });
    const heard = listen();
    const queries = ["a long question about the weather", "where is the nearest bakery"];
    const results = await Settings.withCallbackManager(heard.manager, () => embedding.embedQueries(queries));
    await Promise.resolve(); // LlamaIndex delivers on a microtask
    expect(heard.rationales.map((r) => r.query)).toEqual(queries);
    heard.rationales.forEach((r, i) => {
      expect(r.result).toBe(results[i]);
      const mine = heard.tokens.filter((t) => t.id === r.id);
      expect(mine.length).toBeGreaterThan(1);
      expect(mine.map((t) => t.text).join("")).toBe(results[i]!.rationale);
    });
    expect(new Set(heard.rationales.map((r) => r.id)).size).toBe(2);
    // Every piece comes before the rationale events, which follow once generation is done.
    expect(heard.order.lastIndexOf("token")).toBeLessThan(heard.order.indexOf("rationale"));
  });

  it("reaches the callback manager from a LlamaIndex retrieval, the query's rationale included", async () => {
    const embedding = new RgeLlamaEmbedding({ model });
    const heard = listen();
    await Settings.withCallbackManager(heard.manager, async () => {
      const documents = [new Document({ text: "apples are red" }), new Document({ text: "the sky is blue" })];
      const index = await Settings.withEmbedModel(embedding, () => VectorStoreIndex.fromDocuments(documents));
      const retriever = new RgeLlamaRetriever({ index, embedModel: embedding, similarityTopK: 1 });
      await retriever.retrieve({ query: "which fruit is red?" });
    });
    await Promise.resolve();
    expect(heard.rationales).toHaveLength(1);
    expect(heard.tokens.map((t) => t.text).join("")).toBe(heard.rationales[0]!.result.rationale);
  });
});
