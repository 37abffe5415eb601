import { createRgeServer } from "@rge/server";
import { RgeRemoteModel, type QueryEmbedding } from "@rge/core";
import { Settings, VectorStoreIndex } from "llamaindex";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RgeLlamaEmbedding } from "./rge-llama-embedding.js";
import { RgeLlamaRetriever } from "./rge-llama-retriever.js";
import { corpus, fileUrl, textAndImageStorage, TEXTS, tinySetup, type TinySetup } from "./test-corpus.js";

// One model behind both embeddings: the in-process one calls it directly, the remote one through rge-serve.
const API_KEY = "test-key";
let setup: TinySetup;
let server: Awaited<ReturnType<typeof createRgeServer>>;
let local: RgeLlamaEmbedding;
let remote: RgeLlamaEmbedding;
const rationales: string[] = [];

beforeAll(async () => {
  setup = await tinySetup();
  server = await createRgeServer(setup.model, { apiKey: API_KEY });
  const url = await server.listen({ host: "127.0.0.1", port: 0 });
  local = new RgeLlamaEmbedding({ model: setup.model });
  remote = await RgeLlamaEmbedding.load(url, { apiKey: API_KEY, onRationale: (result) => void rationales.push(result.rationale) });
});
afterAll(async () => {
  await remote?.dispose();
  await server?.close();
  await setup?.remove();
});

describe("RgeLlamaEmbedding against a server", () => {
  it("embeds text and image documents and joint queries as in process, rationales included", async () => {
    expect(remote.model).toBeInstanceOf(RgeRemoteModel);
    expect(remote.embedInfo?.dimensions).toBe(setup.model.dimension);
    const paths = setup.images.map((i) => i.path);
    expect(await remote.getTextEmbeddings(TEXTS)).toEqual(await local.getTextEmbeddings(TEXTS));
    expect(await remote.getImageEmbeddings([...paths, new Blob([setup.images[0]!.bytes])])).toEqual(await local.getImageEmbeddings([...paths, new Blob([setup.images[0]!.bytes])]));
    const joint = [
      { type: "text" as const, text: "What is shown in this picture?" },
      { type: "image_url" as const, image_url: { url: fileUrl(paths[1]!) } },
    ];
    const [remoteQuery, localQuery] = [await remote.embedQuery(joint), await local.embedQuery(joint)];
    expect(remoteQuery).toEqual(localQuery);
    expect(await remote.embedQueries(["red fruit", joint])).toEqual(await local.embedQueries(["red fruit", joint]));
    expect(rationales).toEqual([localQuery.rationale, expect.any(String), localQuery.rationale]);
  });

  it("retrieves with RgeLlamaRetriever the nodes and scores of the in-process index, each with the rationale", async () => {
    const search = async (embedding: RgeLlamaEmbedding) => {
      Settings.embedModel = embedding; // set explicitly, so LlamaIndex never falls back to anything remote
      const index = await VectorStoreIndex.fromDocuments(corpus(setup.images), { storageContext: await textAndImageStorage(embedding) });
      const hits = await new RgeLlamaRetriever({ index, embedModel: embedding, similarityTopK: 3 }).retrieve({ query: "night sky" });
      // Node ids are fresh per index; the documents they came from are named in the corpus.
      return hits.map((h) => [h.node.sourceNode?.nodeId, h.score, h.node.metadata.rgeRationale]);
    };
    const hits = await search(remote);
    expect(hits.map((h) => h[0])).toEqual([expect.stringMatching(/^(text|image)-/), expect.any(String), expect.any(String)]);
    expect(hits).toEqual(await search(local));
    expect(hits[0]![2]).toBe(((await local.embedQuery("night sky")) as QueryEmbedding).rationale);
  });
});
