import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Document } from "@langchain/core/documents";
import { FakeEmbeddings } from "@langchain/core/utils/testing";
import { RgeError } from "@rge/core";
import { gradientPng, tempDir } from "@rge/core/testing";
import { afterAll, describe, expect, it } from "vitest";
import { useTinyRge } from "../contract/tiny-rge.js";
import { HashEmbeddings, itFollowsTheVectorStoreContract } from "../contract/vector-store-contract.js";
import { RgeVectorStore } from "./rge-vector-store.js";

const tiny = useTinyRge();
const tmp = tempDir("rge-store-");
afterAll(() => tmp.remove());
const doc = (pageContent: string, metadata: Record<string, unknown> = {}, id?: string) => new Document({ pageContent, metadata, ...(id ? { id } : {}) });
const codeOf = (promise: Promise<unknown>) => promise.then(() => undefined, (e: RgeError) => e.code);

describe("RgeVectorStore: LangChain vector store contract", () => {
  itFollowsTheVectorStoreContract(() => new RgeVectorStore(new HashEmbeddings()));
});

describe("RgeVectorStore", () => {
  it("returns the k nearest documents by cosine, best first", async () => {
    const store = new RgeVectorStore(new FakeEmbeddings());
    await store.addVectors([[1, 0], [0, 1], [1, 1]], [doc("x"), doc("y"), doc("xy")]);
    const hits = await store.similaritySearchVectorWithScore([2, 0], 2);
    expect(hits.map(([d, s]) => [d.pageContent, Number(s.toFixed(4))])).toEqual([["x", 1], ["xy", 0.7071]]);
  });

  it("keeps ids, replaces a document added again under its id, and deletes by id", async () => {
    const store = new RgeVectorStore(new FakeEmbeddings());
    const ids = await store.addVectors([[1, 0], [0, 1]], [doc("a", {}, "a"), doc("b")], {});
    expect(ids[0]).toBe("a");
    await store.addVectors([[0, 1]], [doc("a2", {}, "a")]);
    expect(store.size).toBe(2);
    expect((await store.similaritySearchVectorWithScore([0, 1], 1))[0]![0]).toMatchObject({ id: "a", pageContent: "a2" });
    await store.delete({ ids: [ids[1]!] });
    expect(store.size).toBe(1);
    await store.delete();
    expect(store.size).toBe(0);
  });

  it("embeds image documents through RgeEmbeddings, and saves and loads them with identical results", async () => {
    const image = await gradientPng(48, 48);
    const store = await RgeVectorStore.fromDocuments([doc("apples"), doc("", { image, kind: "picture" }, "pic")], tiny().embeddings);
    const path = join(tmp.dir, "index.json");
    await store.save(path);
    const loaded = await RgeVectorStore.load(path, tiny().embeddings);
    expect(loaded.dimension).toBe(store.dimension);
    const query = await tiny().embeddings.embedQuery({ text: "what is it?", image });
    expect(await loaded.similaritySearchVectorWithScore(query, 2)).toEqual(
      (await store.similaritySearchVectorWithScore(query, 2)).map(([d, s]) =>
        [d.id === "pic" ? new Document({ ...d, metadata: { ...d.metadata, image: expect.stringMatching(/^data:/) } }) : d, s],
      ),
    );
    // The image saved as a data: URL reads back as the same image.
    const [fromFile] = await tiny().embeddings.embedDocuments([(await loaded.similaritySearchVectorWithScore(query, 2)).find(([d]) => d.id === "pic")![0]]);
    expect(fromFile).toEqual((await tiny().embeddings.embedDocuments([{ image }]))[0]);
  });

  it("refuses vectors of another dimension than the store's", async () => {
    const store = new RgeVectorStore(new FakeEmbeddings());
    await store.addVectors([[1, 0, 0]], [doc("x")]);
    expect(await codeOf(store.addVectors([[1, 0]], [doc("y")]))).toBe("RGE_DIMENSION_MISMATCH");
    expect(await codeOf(store.similaritySearchVectorWithScore([1, 0], 1))).toBe("RGE_DIMENSION_MISMATCH");
    expect(await codeOf(store.addVectors([[1, 0, 0]], [doc("y"), doc("z")]))).toBe("RGE_INVALID_OPTION");
  });

  it("refuses non-finite vectors, to add or to search with, and keeps the store as it was", async () => {
    const store = new RgeVectorStore(new FakeEmbeddings());
    await store.addVectors([[1, 0]], [doc("x")]);
    for (const bad of [[0, Number.NaN], [Number.POSITIVE_INFINITY, 0], [1e39, 0]]) { // 1e39 overflows float32 to Infinity
      const error = await store.addVectors([[0, 1], bad], [doc("ok"), doc("bad")]).catch((e: RgeError) => e);
      expect(error).toMatchObject({ code: "RGE_INVALID_OPTION", message: expect.stringMatching(/^Vector 1 has a non-finite value/) });
    }
    expect(store.size).toBe(1);
    expect(await codeOf(store.similaritySearchVectorWithScore([Number.NaN, 1], 1))).toBe("RGE_INVALID_OPTION");
  });

  it("gives VectorStoreFileError for a missing, truncated or foreign file", async () => {
    const truncated = join(tmp.dir, "truncated.json");
    writeFileSync(truncated, '{"format":"rge-vector-store","entr');
    const foreign = join(tmp.dir, "foreign.json");
    writeFileSync(foreign, JSON.stringify({ format: "something-else" }));
    for (const path of [join(tmp.dir, "missing.json"), truncated, foreign]) {
      expect(await codeOf(RgeVectorStore.load(path, tiny().embeddings))).toBe("RGE_VECTOR_STORE_INVALID");
    }
  });

  it("applies a filter function", async () => {
    const store = new RgeVectorStore(new FakeEmbeddings());
    await store.addVectors([[1, 0], [0, 1]], [doc("keep", { keep: true }), doc("drop")]);
    const hits = await store.similaritySearchVectorWithScore([0, 1], 2, (d) => d.metadata.keep === true);
    expect(hits.map(([d]) => d.pageContent)).toEqual(["keep"]);
  });

  it("refuses a k that is not a positive integer, where -1 dropped the last hit and NaN returned nothing", async () => {
    const store = new RgeVectorStore(new FakeEmbeddings());
    await store.addVectors([[1, 0], [0, 1], [1, 1]], [doc("x"), doc("y"), doc("xy")]);
    for (const [k, shown] of [[-1, "-1"], [1.5, "1.5"], [NaN, "NaN"], [0, "0"]] as const) {
      await expect(store.similaritySearchVectorWithScore([1, 0], k)).rejects.toMatchObject({ code: "RGE_INVALID_OPTION", message: `k must be an integer ≥ 1, got ${shown}.` });
      await expect(store.similaritySearch("x", k)).rejects.toMatchObject({ code: "RGE_INVALID_OPTION" });
    }
  });

  it("refuses a filter that is not a function, ids that are not strings, and a dimension that is not a positive integer", async () => {
    const store = new RgeVectorStore(new FakeEmbeddings());
    const invalid = (message: string) => expect.objectContaining({ code: "RGE_INVALID_OPTION", message });
    await expect(store.similaritySearchVectorWithScore([1, 0], 1, { label: "x" } as never)).rejects.toEqual(invalid("filter must be a function, got object."));
    await expect(store.addVectors([[1, 0]], [doc("x")], { ids: [7 as unknown as string] })).rejects.toEqual(invalid("ids must be an array of strings, got 7."));
    await expect(store.delete({ ids: "x" as unknown as string[] })).rejects.toEqual(invalid('ids must be an array of strings, got "x".'));
    await expect(store.getByIds(undefined as unknown as string[])).rejects.toEqual(invalid("ids must be an array of strings, got undefined."));
    expect(store.size).toBe(0);
    expect(() => new RgeVectorStore(new FakeEmbeddings(), { dimension: 0 })).toThrow(invalid("dimension must be an integer ≥ 1, got 0."));
  });
});
