import { Document } from "@langchain/core/documents";
import type { VectorStoreInterface } from "@langchain/core/vectorstores";
import { FakeEmbeddings, FakeVectorStore } from "@langchain/core/utils/testing";
import { describe, expect, it } from "vitest";
import { RgeVectorStore } from "../vectorstore/rge-vector-store.js";
import { conventionOf } from "./store-convention.js";

// Stand-ins for @langchain/community's stores, recognised by their _vectorstoreType() (the real ones:
// lancedb.test.ts here, tests/hnswlib-store.test.ts in the workspace).
const standIn = (type: string, fields: object = {}) => ({ _vectorstoreType: () => type, ...fields }) as unknown as VectorStoreInterface;
const doc = new Document({ pageContent: "x", metadata: { page: 1 }, id: "d" });

describe("conventionOf", () => {
  it("takes RgeVectorStore's, memory stores' and unknown stores' hits and documents as they are", async () => {
    for (const store of [new RgeVectorStore(new FakeEmbeddings()), new FakeVectorStore(new FakeEmbeddings()), standIn("chroma")]) {
      const convention = conventionOf(store);
      expect(convention.readHit(store, doc, 0.25)).toEqual({ document: doc, score: 0.25 });
      const documents = [doc];
      expect(await convention.prepare(store, documents)).toBe(documents);
    }
  });

  it("turns HNSWLib's distances of each space into cosine similarity (unit vectors)", () => {
    const cos = 0.6;
    const distances = { cosine: 1 - cos, ip: 1 - cos, l2: 2 - 2 * cos };
    for (const [space, distance] of Object.entries(distances)) {
      const store = standIn("hnswlib", { args: { space } });
      expect(conventionOf(store).readHit(store, doc, distance).score).toBeCloseTo(cos, 12);
    }
  });

  it("reads LanceDB's _distance (squared L2) as cosine similarity and drops it and null columns from the metadata", () => {
    const store = standIn("lancedb");
    const hit = new Document({ pageContent: "x", metadata: { page: 1, image: null, _distance: 0.8 } });
    expect(conventionOf(store).readHit(store, hit, undefined)).toEqual({ document: new Document({ pageContent: "x", metadata: { page: 1 } }), score: 0.6 });
  });
});
