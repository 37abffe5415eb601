import { Document } from "@langchain/core/documents";
import { HumanMessage } from "@langchain/core/messages";
import { FakeVectorStore } from "@langchain/core/utils/testing";
import { RgeError } from "@rge/core";
import { gradientPng } from "@rge/core/testing";
import { beforeAll, describe, expect, it } from "vitest";
import { itFollowsTheRetrieverContract } from "../contract/retriever-contract.js";
import { useTinyRge } from "../contract/tiny-rge.js";
import { RgeVectorStore } from "../vectorstore/rge-vector-store.js";
import { RgeRetriever, type RgeRetrievalMetadata, type RgeRetrieverInput } from "./rge-retriever.js";

const tiny = useTinyRge();
const texts = ["Apples are red fruits.", "The night sky is full of stars.", "Sales rose in the third quarter.", "A dog runs in the park."];
let images: Uint8Array[];
let corpus: Document[];
let store: RgeVectorStore;

beforeAll(async () => {
  images = [await gradientPng(64, 48, 0), await gradientPng(40, 90, 120), await gradientPng(100, 60, 200)];
  corpus = [
    ...texts.map((t, i) => new Document({ pageContent: t, id: `text-${i}` })),
    ...images.map((image, i) => new Document({ pageContent: "", metadata: { image, label: `image-${i}` }, id: `image-${i}` })),
  ];
  store = new RgeVectorStore(tiny().embeddings);
  await new RgeRetriever({ embeddings: tiny().embeddings, vectorStore: store }).addDocuments(corpus);
});

const rge = (d: { metadata: Record<string, unknown> }) => d.metadata.rge as RgeRetrievalMetadata;

describe("RgeRetriever: LangChain retriever contract", () => {
  itFollowsTheRetrieverContract((k) => new RgeRetriever({ embeddings: tiny().embeddings, vectorStore: store, k }), "Which fruit is red?");
});

describe("RgeRetriever: multimodal search", () => {
  it("ranks every text and image document, best first, with the query's rationale in metadata", async () => {
    const retriever = new RgeRetriever({ embeddings: tiny().embeddings, vectorStore: store, k: corpus.length });
    const docs = await retriever.invoke({ text: "What is in this picture?", image: images[0]! });
    expect(new Set(docs.map((d) => d.id))).toEqual(new Set(corpus.map((d) => d.id)));
    const scores = docs.map((d) => rge(d).score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    const { rationale, stoppedBy } = await tiny().embeddings.embedQueryWithRationale({ text: "What is in this picture?", image: images[0]! });
    for (const d of docs) expect(rge(d)).toMatchObject({ rationale, stoppedBy });
  });

  it("returns image documents with their image metadata intact", async () => {
    const docs = await new RgeRetriever({ embeddings: tiny().embeddings, vectorStore: store, k: corpus.length }).invoke("a picture");
    const image = docs.find((d) => d.id === "image-1")!;
    expect(image.metadata.label).toBe("image-1");
    expect(image.metadata.image).toEqual(images[1]);
  });

  it("gives different results for a query with an image and the same query without it", async () => {
    const retriever = new RgeRetriever({ embeddings: tiny().embeddings, vectorStore: store, k: corpus.length });
    const withImage = await retriever.invoke({ text: "What is this?", image: images[2]! });
    const without = await retriever.invoke("What is this?");
    const view = (docs: Document[]) => docs.map((d) => [d.id, rge(d).score]);
    expect(view(withImage)).not.toEqual(view(without));
  });

  it("accepts a HumanMessage with text and image blocks like the equivalent object query", async () => {
    const retriever = new RgeRetriever({ embeddings: tiny().embeddings, vectorStore: store, k: 3 });
    const message = new HumanMessage({ contentBlocks: [{ type: "text", text: "What is this?" }, { type: "image", data: images[1]!, mimeType: "image/png" }] });
    const fromMessage = await retriever.invoke(message);
    const fromObject = await retriever.invoke({ text: "What is this?", image: images[1]! });
    expect(fromMessage.map((d) => [d.id, rge(d).score])).toEqual(fromObject.map((d) => [d.id, rge(d).score]));
  });

  it("applies the vector store filter", async () => {
    const retriever = new RgeRetriever({ embeddings: tiny().embeddings, vectorStore: store, k: 10, filter: (d) => d.pageContent === "" });
    const docs = await retriever.invoke("anything");
    expect(docs.map((d) => d.id).sort()).toEqual(["image-0", "image-1", "image-2"]);
  });

  it("works over any LangChain vector store, images included", async () => {
    const fake = new FakeVectorStore(tiny().embeddings);
    const retriever = new RgeRetriever({ embeddings: tiny().embeddings, vectorStore: fake, k: 2 });
    await retriever.addDocuments(corpus);
    const ours = await new RgeRetriever({ embeddings: tiny().embeddings, vectorStore: store, k: 2 }).invoke({ text: "x", image: images[0]! });
    const theirs = await retriever.invoke({ text: "x", image: images[0]! });
    expect(theirs.map((d) => d.pageContent)).toEqual(ours.map((d) => d.pageContent));
    theirs.forEach((d, i) => expect(rge(d).score).toBeCloseTo(rge(ours[i]!).score, 5));
  });

  it("defaults to an in-process store (fromDocuments)", async () => {
    const retriever = await RgeRetriever.fromDocuments(corpus.slice(0, 3), { embeddings: tiny().embeddings, k: 2 });
    expect(retriever.vectorStore).toBeInstanceOf(RgeVectorStore);
    expect(retriever.vectorStore.size).toBe(3);
    expect(await retriever.invoke("fruit")).toHaveLength(2);
  });
});

describe("RgeRetriever: bad inputs give typed errors", () => {
  const failure = (promise: Promise<unknown>) => promise.then(() => undefined, (e: unknown) => e as RgeError);

  it("a query with no text and no image → RGE_EMPTY_INPUT", async () => {
    const error = await failure(new RgeRetriever({ embeddings: tiny().embeddings, vectorStore: store }).invoke({ text: " " }));
    expect(error).toBeInstanceOf(RgeError);
    expect(error?.code).toBe("RGE_EMPTY_INPUT");
  });

  it("an unreadable image → RGE_IMAGE_UNDECODABLE", async () => {
    const error = await failure(new RgeRetriever({ embeddings: tiny().embeddings, vectorStore: store }).invoke({ text: "x", image: new Uint8Array(10) }));
    expect(error?.code).toBe("RGE_IMAGE_UNDECODABLE");
  });

  it("a vector store of another dimension → RGE_DIMENSION_MISMATCH", async () => {
    const other = new RgeVectorStore(tiny().embeddings);
    await other.addVectors([[1, 0, 0]], [new Document({ pageContent: "from another model" })]);
    const error = await failure(new RgeRetriever({ embeddings: tiny().embeddings, vectorStore: other }).invoke("foo"));
    expect(error?.code).toBe("RGE_DIMENSION_MISMATCH");
    const adding = await failure(new RgeRetriever({ embeddings: tiny().embeddings, vectorStore: other }).addDocuments([new Document({ pageContent: "x" })]));
    expect(adding?.code).toBe("RGE_DIMENSION_MISMATCH");
  });

  it("k that is not a positive integer → RGE_INVALID_OPTION naming k and the value", () => {
    for (const [k, shown] of [[0, "0"], [-1, "-1"], [1.5, "1.5"], [NaN, "NaN"], ["3", '"3"']] as const) {
      expect(() => new RgeRetriever({ embeddings: tiny().embeddings, k: k as number })).toThrow(
        expect.objectContaining({ code: "RGE_INVALID_OPTION", message: `k must be an integer ≥ 1, got ${shown}.` }),
      );
    }
  });

  it("a k set on the retriever later is checked before the query is embedded", async () => {
    const retriever = new RgeRetriever({ embeddings: tiny().embeddings, vectorStore: store });
    retriever.k = -1;
    await expect(retriever.invoke("Which fruit is red?")).rejects.toMatchObject({ code: "RGE_INVALID_OPTION", message: "k must be an integer ≥ 1, got -1." });
  });

  it("a filter that is not a function for the default store, a missing embedder, or a vector store without search → RGE_INVALID_OPTION", () => {
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ embeddings: tiny().embeddings, filter: { label: "image-0" } }, /^filter must be a function, got object\.$/],
      [{ embeddings: tiny().embeddings, vectorStore: store, filter: "x" }, /^filter must be a function/],
      [{}, /^embeddings must be an RgeEmbeddings .*, got undefined\.$/],
      [{ embeddings: tiny().embeddings, vectorStore: {} }, /^vectorStore must be a LangChain vector store/],
    ];
    for (const [fields, message] of bad) {
      expect(() => new RgeRetriever(fields as unknown as RgeRetrieverInput)).toThrow(expect.objectContaining({ code: "RGE_INVALID_OPTION", message: expect.stringMatching(message) }));
    }
  });
});
