import { join } from "node:path";
import { writeFileSync } from "node:fs";
import { connect } from "@lancedb/lancedb";
import { LanceDB } from "@langchain/community/vectorstores/lancedb";
import { Document } from "@langchain/core/documents";
import { gradientPng, tempDir } from "@rge/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useTinyRge } from "../contract/tiny-rge.js";
import { RgeRetriever, type RgeRetrievalMetadata } from "../retriever/rge-retriever.js";
import { RgeVectorStore } from "../vectorstore/rge-vector-store.js";

// The recipe of the README: @langchain/community's LanceDB store, filled and searched through RgeRetriever.
const tiny = useTinyRge();
const tmp = tempDir("rge-lancedb-");
afterAll(() => tmp.remove());

let texts: Document[];
let images: Document[];
let imagePath: string;
let query: { text: string; image: Uint8Array };

beforeAll(async () => {
  imagePath = join(tmp.dir, "sky.png");
  writeFileSync(imagePath, await gradientPng(40, 90, 120));
  texts = [
    new Document({ pageContent: "Apples are red fruits.", metadata: { source: "fruit.txt", page: 1 } }),
    new Document({ pageContent: "Sales rose in the third quarter.", metadata: { source: "report.txt", page: 3 } }),
  ];
  images = [
    new Document({ pageContent: "", metadata: { image: await gradientPng(64, 48, 0), source: "bytes", caption: "a gradient" } }),
    new Document({ pageContent: "A photo of the sky.", metadata: { image: imagePath, source: "sky.png", shot: true } }),
  ];
  query = { text: "What is in this picture?", image: await gradientPng(48, 48, 60) };
});

let tables = 0;
const newStore = (tableName = `docs${tables++}`) => new LanceDB(tiny().embeddings, { uri: join(tmp.dir, "db"), tableName });
const rge = (d: { metadata: Record<string, unknown> }) => d.metadata.rge as RgeRetrievalMetadata;
const withoutRge = ({ rge: _, ...metadata }: Record<string, unknown>) => metadata;

/** The same documents in the default store: the reference for order, scores and metadata. */
async function reference(k: number) {
  const store = new RgeVectorStore(tiny().embeddings);
  await new RgeRetriever({ embeddings: tiny().embeddings, vectorStore: store }).addDocuments([...texts, ...images]);
  return new RgeRetriever({ embeddings: tiny().embeddings, vectorStore: store, k }).invoke(query);
}

describe("RgeRetriever over @langchain/community's LanceDB", () => {
  it("takes image documents after a text-only first batch (LanceDB fixed the columns at the first)", async () => {
    const retriever = new RgeRetriever({ embeddings: tiny().embeddings, vectorStore: newStore(), k: 4 });
    await retriever.addDocuments(texts);
    await retriever.addDocuments(images); // bare LanceDB: "Found field not in schema: image"
    const docs = await retriever.invoke(query);
    const expected = await reference(4);
    expect(docs.map((d) => d.pageContent)).toEqual(expected.map((d) => d.pageContent));
    docs.forEach((d, i) => expect(rge(d).score).toBeCloseTo(rge(expected[i]!).score, 5));
  });

  it("gives metadata.rge.score as the cosine similarity, and leaves no _distance or null columns in the metadata", async () => {
    const retriever = new RgeRetriever({ embeddings: tiny().embeddings, vectorStore: newStore(), k: 4 });
    await retriever.addDocuments(images);
    await retriever.addDocuments(texts);
    const docs = await retriever.invoke(query);
    for (const d of docs) {
      expect(rge(d).score).toBeGreaterThan(-1);
      expect(rge(d).score).toBeLessThanOrEqual(1 + 1e-6);
      expect(d.metadata).not.toHaveProperty("_distance");
    }
    const byContent = new Map(docs.map((d) => [`${d.pageContent}|${d.metadata.source}`, withoutRge(d.metadata)]));
    expect(byContent.get("Apples are red fruits.|fruit.txt")).toEqual({ source: "fruit.txt", page: 1 });
    expect(byContent.get("A photo of the sky.|sky.png")).toEqual({ image: imagePath, source: "sky.png", shot: true });
    // Image bytes are stored as a data: URL, which embeds as the same image.
    const bytes = byContent.get("|bytes")!;
    expect(bytes).toEqual({ image: expect.stringMatching(/^data:application\/octet-stream;base64,/), source: "bytes", caption: "a gradient" });
    expect(await tiny().embeddings.embedDocuments([{ image: bytes.image as string }])).toEqual(await tiny().embeddings.embedDocuments([images[0]!]));
  });

  it("searches a table reopened from disk like the one that was filled", async () => {
    const filled = newStore("reopened");
    const retriever = new RgeRetriever({ embeddings: tiny().embeddings, vectorStore: filled, k: 3 });
    await retriever.addDocuments(texts);
    await retriever.addDocuments(images);
    const table = await (await connect(join(tmp.dir, "db"))).openTable("reopened");
    const reopened = new RgeRetriever({ embeddings: tiny().embeddings, vectorStore: new LanceDB(tiny().embeddings, { table }), k: 3 });
    expect(await reopened.invoke(query)).toEqual(await retriever.invoke(query));
  });

  it("does not change the caller's documents", async () => {
    const retriever = new RgeRetriever({ embeddings: tiny().embeddings, vectorStore: newStore() });
    await retriever.addDocuments(texts);
    const image = images[0]!.metadata.image;
    await retriever.addDocuments(images);
    expect(images[0]!.metadata.image).toBe(image);
    expect(Object.keys(texts[0]!.metadata)).toEqual(["source", "page"]);
  });

  it("a later batch with a new object-valued metadata field → RGE_INVALID_OPTION saying how to add the column", async () => {
    const retriever = new RgeRetriever({ embeddings: tiny().embeddings, vectorStore: newStore() });
    await retriever.addDocuments(texts);
    const nested = new Document({ pageContent: "Pears.", metadata: { loc: { lines: { from: 1, to: 2 } } } });
    await expect(retriever.addDocuments([nested])).rejects.toMatchObject({
      code: "RGE_INVALID_OPTION",
      message: expect.stringMatching(/^metadata\.loc is an object, and the LanceDB table has no "loc" column: .* Give "loc" to the first documents added/),
    });
  });
});
