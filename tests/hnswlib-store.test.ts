import { join } from "node:path";
import { HNSWLib } from "@langchain/community/vectorstores/hnswlib";
import { Document } from "@langchain/core/documents";
import { gradientPng, tempDir, writeTinyBundle } from "@rge/core/testing";
import { RgeEmbeddings, RgeRetriever, RgeVectorStore, type RgeRetrievalMetadata } from "@rge/langchain";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// The recipe of @rge/langchain's README: @langchain/community's HNSWLib store, filled and searched through
// RgeRetriever. hnswlib-node is compiled at install (node-gyp) and is an optional dependency here, so an
// install without a C++ toolchain still succeeds; these tests then skip.
const hnswlibNode = await import("hnswlib-node").then(() => undefined, (e: Error) => e.message);
if (hnswlibNode) console.warn(`hnswlib-node did not build or load, so the HNSWLib recipe tests skip: ${hnswlibNode}`);

const tmp = tempDir("rge-hnswlib-");
let embeddings: RgeEmbeddings;
const tiny = () => ({ embeddings });
afterAll(async () => {
  await embeddings?.dispose();
  tmp.remove();
});

let corpus: Document[];
let query: { text: string; image: Uint8Array };
let expected: Document[];

beforeAll(async () => {
  if (hnswlibNode) return;
  writeTinyBundle(join(tmp.dir, "bundle"), { seed: 1 });
  embeddings = new RgeEmbeddings({ model: join(tmp.dir, "bundle"), maxNewTokens: 24 });
  corpus = [
    new Document({ pageContent: "Apples are red fruits.", id: "apples" }),
    new Document({ pageContent: "Sales rose in the third quarter.", id: "sales", metadata: { page: 3 } }),
    new Document({ pageContent: "", id: "gradient", metadata: { image: await gradientPng(64, 48, 0) } }),
    new Document({ pageContent: "A photo of the sky.", id: "sky", metadata: { image: await gradientPng(40, 90, 120) } }),
  ];
  query = { text: "What is in this picture?", image: await gradientPng(48, 48, 60) };
  const store = new RgeVectorStore(tiny().embeddings);
  await new RgeRetriever({ embeddings: tiny().embeddings, vectorStore: store }).addDocuments(corpus);
  expected = await new RgeRetriever({ embeddings: tiny().embeddings, vectorStore: store, k: corpus.length }).invoke(query);
});

const rge = (d: { metadata: Record<string, unknown> }) => d.metadata.rge as RgeRetrievalMetadata;
const view = (docs: Document[]) => docs.map((d) => d.id);

describe.skipIf(hnswlibNode)("RgeRetriever over @langchain/community's HNSWLib", () => {
  for (const space of ["cosine", "ip", "l2"] as const) {
    it(`turns hnswlib's ${space} distances into the cosine similarity of RgeVectorStore`, async () => {
      const store = new HNSWLib(tiny().embeddings, { space });
      const retriever = new RgeRetriever({ embeddings: tiny().embeddings, vectorStore: store, k: corpus.length });
      await retriever.addDocuments(corpus.slice(0, 2));
      await retriever.addDocuments(corpus.slice(2));
      const docs = await retriever.invoke(query);
      expect(view(docs)).toEqual(view(expected));
      docs.forEach((d, i) => expect(rge(d).score).toBeCloseTo(rge(expected[i]!).score, 5));
    });
  }

  it("saves and loads with image documents, which come back as data: URLs of the same image", async () => {
    const store = new HNSWLib(tiny().embeddings, { space: "cosine" });
    await new RgeRetriever({ embeddings: tiny().embeddings, vectorStore: store }).addDocuments(corpus);
    const dir = join(tmp.dir, "index");
    await store.save(dir);
    const loaded = await HNSWLib.load(dir, tiny().embeddings);
    const docs = await new RgeRetriever({ embeddings: tiny().embeddings, vectorStore: loaded, k: corpus.length }).invoke(query);
    expect(view(docs)).toEqual(view(expected));
    docs.forEach((d, i) => expect(rge(d).score).toBeCloseTo(rge(expected[i]!).score, 5));
    const sky = docs.find((d) => d.id === "sky")!;
    expect(sky.metadata.image).toMatch(/^data:application\/octet-stream;base64,/);
    expect(await tiny().embeddings.embedDocuments([sky])).toEqual(await tiny().embeddings.embedDocuments([corpus[3]!]));
  });

  it("keeps copies, not the caller's documents", async () => {
    const store = new HNSWLib(tiny().embeddings, { space: "cosine" });
    const added = corpus.map((d) => new Document({ ...d, metadata: { ...d.metadata } }));
    await new RgeRetriever({ embeddings: tiny().embeddings, vectorStore: store }).addDocuments(added);
    added[0]!.pageContent = "changed";
    expect(added[2]!.metadata.image).toBeInstanceOf(Uint8Array);
    const docs = await new RgeRetriever({ embeddings: tiny().embeddings, vectorStore: store, k: corpus.length }).invoke(query);
    expect(docs.find((d) => d.id === "apples")!.pageContent).toBe("Apples are red fruits.");
  });
});
