/**
 * The checks of LangChain's standard vector store suite (Python `langchain-tests` `VectorStoreIntegrationTests`;
 * JS has no such suite), adapted to JS: one async twin per case (Python runs each twice, sync and async),
 * `delete({ ids })` for Python's `delete(ids)`, and `getByIds` for `get_by_ids`. Its embedder is a
 * deterministic fake, as upstream's: the cases are about storage, not about what the vectors mean.
 */
import { createHash } from "node:crypto";
import { Document, type DocumentInterface } from "@langchain/core/documents";
import { Embeddings } from "@langchain/core/embeddings";
import type { VectorStore } from "@langchain/core/vectorstores";
import { expect, it } from "vitest";

/** A vector store with the `getByIds` that LangChain's Python stores have and `@langchain/core` (JS) does not declare. */
export type VectorStoreWithGetByIds = VectorStore & { getByIds(ids: string[]): Promise<DocumentInterface[]> };

/** Upstream's `DeterministicFakeEmbedding`: a vector of 6 that depends only on the text (here its SHA-256). */
export class HashEmbeddings extends Embeddings {
  constructor() {
    super({});
  }

  async embedDocuments(texts: string[]): Promise<number[][]> {
    return texts.map(hashVector);
  }

  async embedQuery(text: string): Promise<number[]> {
    return hashVector(text);
  }
}

function hashVector(text: string): number[] {
  const bytes = createHash("sha256").update(text).digest();
  return Array.from({ length: 6 }, (_, i) => bytes.readInt16LE(2 * i) / 32768);
}

const doc = (pageContent: string, n: number, id?: string) => new Document({ pageContent, metadata: { id: n }, ...(id !== undefined ? { id } : {}) });

/** Registers the contract tests; `empty()` makes a new, empty store over a {@link HashEmbeddings}. */
export function itFollowsTheVectorStoreContract(empty: () => Promise<VectorStoreWithGetByIds> | VectorStoreWithGetByIds): void {
  it("a new store finds nothing", async () => {
    expect(await (await empty()).similaritySearch("foo", 1)).toEqual([]);
  });

  it("addDocuments returns ids the search results carry, without changing the caller's documents", async () => {
    const store = await empty();
    const originals = [doc("foo", 1), doc("bar", 2)];
    const ids = (await store.addDocuments(originals)) as string[];
    expect(await store.similaritySearch("bar", 2)).toEqual([doc("bar", 2, ids[1]), doc("foo", 1, ids[0])]);
    expect(originals).toEqual([doc("foo", 1), doc("bar", 2)]);
    expect(originals.map((d) => d.id)).toEqual([undefined, undefined]);
  });

  it("each store made for a test starts empty again", async () => {
    expect(await (await empty()).similaritySearch("foo", 1)).toEqual([]);
  });

  it("keeps the ids given in options.ids, and deletes by id", async () => {
    const store = await empty();
    expect(await store.addDocuments([doc("foo", 1), doc("bar", 2)], { ids: ["1", "2"] })).toEqual(["1", "2"]);
    await store.delete({ ids: ["1"] });
    expect(await store.similaritySearch("foo", 1)).toEqual([doc("bar", 2, "2")]);
  });

  it("deletes several documents at once", async () => {
    const store = await empty();
    await store.addDocuments([doc("foo", 1), doc("bar", 2), doc("baz", 3)], { ids: ["1", "2", "3"] });
    await store.delete({ ids: ["1", "2"] });
    expect(await store.similaritySearch("foo", 1)).toEqual([doc("baz", 3, "3")]);
  });

  it("deleting ids that are not stored does not throw", async () => {
    const store = await empty();
    await store.delete({ ids: ["1"] });
    await store.delete({ ids: ["1", "2", "3"] });
  });

  it("adding the same documents under the same ids twice stores them once", async () => {
    const store = await empty();
    const documents = [doc("foo", 1), doc("bar", 2)];
    await store.addDocuments(documents, { ids: ["1", "2"] });
    await store.addDocuments(documents, { ids: ["1", "2"] });
    expect(await store.similaritySearch("bar", 2)).toEqual([doc("bar", 2, "2"), doc("foo", 1, "1")]);
  });

  it("adding under a stored id replaces that document's content and metadata", async () => {
    const store = await empty();
    await store.addDocuments([doc("foo", 1), doc("bar", 2)], { ids: ["1", "2"] });
    const replacement = new Document({ pageContent: "new foo", metadata: { id: 1, some_other_field: "foo" } });
    await store.addDocuments([replacement], { ids: ["1"] });
    expect(await store.similaritySearch("new foo", 2)).toEqual([
      new Document({ id: "1", pageContent: "new foo", metadata: { id: 1, some_other_field: "foo" } }),
      doc("bar", 2, "2"),
    ]);
  });

  it("getByIds returns the documents in the order of the ids, with their ids", async () => {
    const store = await empty();
    const ids = (await store.addDocuments([doc("foo", 1), doc("bar", 2)], { ids: ["1", "2"] })) as string[];
    expect(await store.getByIds(ids)).toEqual([doc("foo", 1, "1"), doc("bar", 2, "2")]);
    expect(await store.getByIds(["2", "1"])).toEqual([doc("bar", 2, "2"), doc("foo", 1, "1")]);
  });

  it("getByIds of ids that are not stored returns nothing, and skips them among stored ones", async () => {
    const store = await empty();
    expect(await store.getByIds(["1", "2", "3"])).toEqual([]);
    await store.addDocuments([doc("foo", 1)], { ids: ["1"] });
    expect(await store.getByIds(["0", "1", "2"])).toEqual([doc("foo", 1, "1")]);
  });

  it("addDocuments without ids generates string ids that getByIds finds", async () => {
    const store = await empty();
    const ids = (await store.addDocuments([doc("foo", 1), doc("bar", 2)])) as string[];
    expect(ids.every((id) => typeof id === "string" && id.length > 0)).toBe(true);
    expect(new Set(ids).size).toBe(2);
    expect(await store.getByIds(ids)).toEqual([doc("foo", 1, ids[0]), doc("bar", 2, ids[1])]);
  });

  it("a document's own id is kept; documents without one get generated ids", async () => {
    const store = await empty();
    const ids = (await store.addDocuments([doc("foo", 1, "foo"), doc("bar", 2)])) as string[];
    expect(ids[0]).toBe("foo");
    expect(await store.getByIds(ids)).toEqual([doc("foo", 1, "foo"), doc("bar", 2, ids[1])]);
  });

  it("documents read back are copies: changing them, or the added ones, leaves the store as it is", async () => {
    const store = await empty();
    const added = doc("foo", 1, "1");
    await store.addDocuments([added]);
    added.metadata.id = 99;
    added.pageContent = "changed";
    const [read] = await store.getByIds(["1"]);
    read!.metadata.id = 42;
    expect(await store.getByIds(["1"])).toEqual([doc("foo", 1, "1")]);
    expect(await store.similaritySearch("foo", 1)).toEqual([doc("foo", 1, "1")]);
  });
}
