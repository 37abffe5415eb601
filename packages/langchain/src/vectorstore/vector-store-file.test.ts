import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Document } from "@langchain/core/documents";
import { FakeEmbeddings } from "@langchain/core/utils/testing";
import { tempDir } from "@rge/core/testing";
import { afterAll, describe, expect, it } from "vitest";
import { VectorStoreFileError } from "../errors.js";
import { RgeVectorStore } from "./rge-vector-store.js";

const tmp = tempDir("rge-store-file-");
afterAll(() => tmp.remove());
const embeddings = new FakeEmbeddings();
const base64 = (values: number[]) => Buffer.from(Float32Array.from(values).buffer).toString("base64");

/** Saves a store of two 2-d vectors, then replaces entry 1's vector in the file with `vector` (base64). */
async function fileWithVector(name: string, vector: string): Promise<string> {
  const store = new RgeVectorStore(embeddings);
  await store.addVectors([[1, 0], [0, 1]], [new Document({ pageContent: "a" }), new Document({ pageContent: "b" })]);
  const path = join(tmp.dir, name);
  await store.save(path);
  const json = JSON.parse(readFileSync(path, "utf8"));
  json.entries[1].vector = vector;
  writeFileSync(path, JSON.stringify(json));
  return path;
}

describe("vector store file", () => {
  it("lets concurrent saves of one path all resolve, leaving one complete save", async () => {
    const store = new RgeVectorStore(embeddings);
    const path = join(tmp.dir, "concurrent", "index.json");
    mkdirSync(join(tmp.dir, "concurrent"));
    const saves: Promise<void>[] = [];
    for (let i = 0; i < 10; i++) {
      await store.addVectors([[i + 1, 1]], [new Document({ pageContent: `doc ${i}` })], { ids: [`id-${i}`] });
      saves.push(store.save(path)); // each save holds the store as it was when called: 1, 2, ... 10 documents
    }
    await Promise.all(saves);
    const loaded = await RgeVectorStore.load(path, embeddings);
    const hits = await loaded.similaritySearchVectorWithScore([1, 1], 10);
    // Whichever save renamed last, the file is that one save whole: documents 0 .. n-1, with their vectors.
    const ids = hits.map(([d]) => d.id).sort((a, b) => Number(a!.slice(3)) - Number(b!.slice(3)));
    expect(ids).toEqual(Array.from({ length: loaded.size }, (_, i) => `id-${i}`));
    expect(loaded.size).toBeGreaterThan(0);
    expect(readdirSync(join(tmp.dir, "concurrent"))).toEqual(["index.json"]);
  });

  it("removes its temporary file when a save fails", async () => {
    const store = new RgeVectorStore(embeddings);
    await store.addVectors([[1, 0]], [new Document({ pageContent: "a" })]);
    const parent = join(tmp.dir, "failing");
    mkdirSync(join(parent, "index.json"), { recursive: true }); // a directory where the file should go: the rename fails
    await expect(store.save(join(parent, "index.json"))).rejects.toThrow();
    expect(readdirSync(parent)).toEqual(["index.json"]);
  });

  it.each([
    ["NaN", base64([0, Number.NaN]), /Entry 1 of .*nan\.json has a non-finite value \(NaN\) at position 1/],
    ["Infinity", base64([Number.POSITIVE_INFINITY, 1]), /Entry 1 of .*infinity\.json has a non-finite value \(Infinity\) at position 0/],
    ["three floats", base64([0, 1, 2]), /Entry 1 of .*three-floats\.json has 3 dimensions; the file says 2/],
    ["seven bytes", Buffer.alloc(7).toString("base64"), /Entry 1 of .*seven-bytes\.json has a vector of 7 bytes, not a whole number of float32s/],
  ])("refuses a stored vector with %s, naming the file and the entry", async (what, vector, message) => {
    const path = await fileWithVector(`${what.toLowerCase().replace(" ", "-")}.json`, vector);
    const error = await RgeVectorStore.load(path, embeddings).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VectorStoreFileError);
    expect(error).toMatchObject({ code: "RGE_VECTOR_STORE_INVALID", path });
    expect((error as Error).message).toMatch(message);
  });
});
