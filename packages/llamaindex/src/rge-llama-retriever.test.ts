import { dot } from "@rge/core";
import { ImageNode, MetadataMode, Settings, VectorStoreIndex, type NodeWithScore } from "llamaindex";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { RATIONALE_METADATA_KEYS } from "./rationale-metadata.js";
import { RgeLlamaEmbedding } from "./rge-llama-embedding.js";
import { RgeLlamaRetriever, type RgeLlamaRetrieverOptions } from "./rge-llama-retriever.js";
import { corpus, fileUrl, textAndImageStorage, TEXTS, tinySetup, type TinySetup } from "./test-corpus.js";

let setup: TinySetup;
let embedding: RgeLlamaEmbedding;
let index: VectorStoreIndex;
const ALL = TEXTS.length + 3;

beforeAll(async () => {
  setup = await tinySetup();
  embedding = new RgeLlamaEmbedding({ model: setup.model });
  // Set explicitly so LlamaIndex never falls back to anything remote.
  Settings.embedModel = embedding;
  index = await VectorStoreIndex.fromDocuments(corpus(setup.images), { storageContext: await textAndImageStorage(embedding) });
});
afterAll(() => setup.remove());

const ids = (hits: NodeWithScore[]) => hits.map((h) => h.node.id_);
const jointQuery = () => [
  { type: "text" as const, text: "What is shown in this picture?" },
  { type: "image_url" as const, image_url: { url: fileUrl(setup.images[1]!.path) } },
];

describe("VectorStoreIndex with RgeLlamaEmbedding", () => {
  it("indexes text and image documents through the batched methods, and LlamaIndex's own retriever finds them", async () => {
    const single = vi.spyOn(embedding, "getTextEmbedding");
    const singleImage = vi.spyOn(embedding, "getImageEmbedding");
    const batch = vi.spyOn(setup.model, "embedTargets");
    // A separate index: LlamaIndex's retriever rewrites stored image nodes' `image` to a file URL of the node id.
    let own: VectorStoreIndex;
    try {
      own = await VectorStoreIndex.fromDocuments(corpus(setup.images), { storageContext: await textAndImageStorage(embedding) });
      expect(Object.keys(own.vectorStores).sort()).toEqual(["IMAGE", "TEXT"]);
      expect(single).not.toHaveBeenCalled();
      expect(singleImage).not.toHaveBeenCalled();
      expect(batch).toHaveBeenCalledTimes(2); // one call for the text nodes, one for the image nodes
    } finally {
      vi.restoreAllMocks();
    }
    const hits = await own.asRetriever({ topK: { TEXT: ALL, IMAGE: ALL, AUDIO: 0 } }).retrieve("a colourful picture");
    expect(new Set(hits.map((h) => h.node.type))).toEqual(new Set(["TEXT", "IMAGE"]));
    expect(new Set(ids(hits)).size).toBe(ALL);
  });
});

describe("RgeLlamaRetriever", () => {
  it("ranks text and image nodes together by the dot product with one joint query embedding", async () => {
    const retriever = new RgeLlamaRetriever({ index, similarityTopK: ALL });
    const hits = await retriever.retrieve({ query: jointQuery() });
    expect(hits).toHaveLength(ALL);
    expect(new Set(ids(hits)).size).toBe(ALL);
    expect(new Set(hits.map((h) => h.node.type))).toEqual(new Set(["TEXT", "IMAGE"]));
    for (let k = 1; k < hits.length; k++) expect(hits[k]!.score!).toBeLessThanOrEqual(hits[k - 1]!.score!);

    const expected = await setup.model.embedQuery({ text: "What is shown in this picture?", image: setup.images[1]!.path });
    for (const { node, score } of hits) {
      const stored = node instanceof ImageNode
        ? await embedding.getImageEmbedding(node.image)
        : await embedding.getTextEmbedding(node.getContent(MetadataMode.EMBED));
      expect(Math.abs(score! - dot(expected.embedding, Float32Array.from(stored)))).toBeLessThan(1e-4);
    }
  });

  it("returns different results for a text+image query than for its text alone", async () => {
    const retriever = new RgeLlamaRetriever({ index, similarityTopK: ALL });
    const joint = await retriever.retrieve({ query: jointQuery() });
    const textOnly = await retriever.retrieve("What is shown in this picture?");
    const scores = (hits: NodeWithScore[]) => Object.fromEntries(hits.map((h) => [h.node.id_, h.score]));
    expect(scores(joint)).not.toEqual(scores(textOnly));
    expect(joint[0]!.node.metadata[RATIONALE_METADATA_KEYS.rationale]).not.toBe(textOnly[0]!.node.metadata[RATIONALE_METADATA_KEYS.rationale]);
  });

  it("returns the top k, each node carrying the query's rationale without changing the stored nodes", async () => {
    const retriever = new RgeLlamaRetriever({ index, similarityTopK: 2 });
    const hits = await retriever.retrieve({ query: jointQuery() });
    expect(hits).toHaveLength(2);
    const expected = await setup.model.embedQuery({ text: "What is shown in this picture?", image: setup.images[1]!.path });
    for (const { node } of hits) {
      expect(node.metadata).toMatchObject({ rgeRationale: expected.rationale, rgeStoppedBy: expected.stoppedBy });
      expect(node.getContent(MetadataMode.LLM)).not.toContain("rgeRationale");
      const stored = index.indexStruct.nodesDict[node.id_]!;
      expect(stored.metadata).not.toHaveProperty("rgeRationale");
      expect(Object.getPrototypeOf(node)).toBe(Object.getPrototypeOf(stored));
      if (node instanceof ImageNode) {
        expect(node.image).toBe((stored as ImageNode).image);
        expect(node.image instanceof Blob || (typeof node.image === "string" && !node.image.startsWith("file:"))).toBe(true);
      }
    }
  });

  it("refuses an embedding that is not RGE, and a bad similarityTopK", () => {
    expect(() => new RgeLlamaRetriever({ index, embedModel: {} as RgeLlamaEmbedding })).toThrow(
      expect.objectContaining({ code: "RGE_INVALID_OPTION" }),
    );
    expect(() => new RgeLlamaRetriever({ index, similarityTopK: 0 })).toThrow(expect.objectContaining({ code: "RGE_INVALID_OPTION" }));
  });

  it("refuses a similarityTopK that is not a positive integer, bad filters or no index, naming the option and the value", () => {
    const invalid = (message: string) => expect.objectContaining({ code: "RGE_INVALID_OPTION", message });
    for (const [k, shown] of [[-1, "-1"], [1.5, "1.5"], [NaN, "NaN"]] as const) {
      expect(() => new RgeLlamaRetriever({ index, similarityTopK: k })).toThrow(invalid(`similarityTopK must be an integer ≥ 1, got ${shown}.`));
    }
    expect(() => new RgeLlamaRetriever({ index, filters: [] as never })).toThrow(invalid("filters must be MetadataFilters ({ filters: [...] }), got object."));
    expect(() => new RgeLlamaRetriever({} as RgeLlamaRetrieverOptions)).toThrow(invalid("index must be a VectorStoreIndex, got undefined."));
  });

  it("checks a similarityTopK set later before embedding the query", async () => {
    const retriever = new RgeLlamaRetriever({ index });
    retriever.similarityTopK = 0;
    await expect(retriever.retrieve({ query: "apples" })).rejects.toMatchObject({ code: "RGE_INVALID_OPTION", message: "similarityTopK must be an integer ≥ 1, got 0." });
  });
});
