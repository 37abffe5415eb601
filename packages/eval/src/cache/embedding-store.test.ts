import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "@rge/core/testing";
import { afterAll, describe, expect, it } from "vitest";
import { EmbeddingStore } from "./embedding-store.js";

const tmp = tempDir("rge-eval-cache-");
afterAll(() => tmp.remove());
const floats = (...values: number[]) => Buffer.from(Float32Array.from(values).buffer).toString("base64");

/** A store of three chunks of two 3-d embeddings (keys a1 a2, b1 b2, c1 c2), and the folder of its chunks. */
function threeChunks(identity: string): string {
  const store = EmbeddingStore.open(tmp.dir, identity, "VOC2007", "target");
  for (const c of ["a", "b", "c"]) store.append([1, 2].map((i) => ({ key: `${c}${i}`, embedding: Float32Array.from([i, 0, 1]) })));
  const space = readdirSync(tmp.dir).find((d) => readFileSync(join(tmp.dir, d, "identity.txt"), "utf8") === `${identity}\n`)!;
  return join(tmp.dir, space, "VOC2007", "target");
}

describe("EmbeddingStore", () => {
  it("keeps appended chunks across reopening, bit for bit, with rationales", () => {
    const a = EmbeddingStore.open(tmp.dir, "model-1|query-reasoning", "ImageNet-1K", "query-reasoning");
    a.append([{ key: "k1", embedding: Float32Array.from([0.1, -2, 3e-8]), rationale: "A fish.", stoppedBy: "emb" }]);
    a.append([{ key: "k2", embedding: Float32Array.from([1, 2, 3]) }]);
    const b = EmbeddingStore.open(tmp.dir, "model-1|query-reasoning", "ImageNet-1K", "query-reasoning");
    expect(b.size).toBe(2);
    expect(b.get("k1")).toEqual({ key: "k1", embedding: Float32Array.from([0.1, -2, 3e-8]), rationale: "A fish.", stoppedBy: "emb" });
    b.append([{ key: "k3", embedding: Float32Array.from([0]) }]);
    const files = readdirSync(`${tmp.dir}/${readdirSync(tmp.dir)[0]}/ImageNet-1K/query-reasoning`);
    expect(files).toEqual(["chunk-000001.json", "chunk-000002.json", "chunk-000003.json"]);
  });

  it("keeps another model's embeddings apart", () => {
    const other = EmbeddingStore.open(tmp.dir, "model-2|query-reasoning", "ImageNet-1K", "query-reasoning");
    expect(other.size).toBe(0);
  });

  it.each([
    ["cut short", (text: string) => text.slice(0, 40), /it is not valid JSON \(40 bytes; a write cut short\?\)/],
    ["of another format", () => "{}", /it is not a version 1 chunk with a list of entries/],
    ["holding a 7-byte embedding", (text: string) => withEmbedding(text, Buffer.alloc(7).toString("base64")), /the embedding of entry 1 has 7 bytes, not a whole, non-empty number of float32s/],
    ["holding a NaN", (text: string) => withEmbedding(text, floats(1, Number.NaN, 0)), /the embedding of entry 1 has a non-finite value \(NaN\) at position 1/],
    ["holding an embedding of another length", (text: string) => withEmbedding(text, floats(1, 0)), /it holds an embedding of 2 dimensions where the store's others have 3/],
  ])("deletes a damaged chunk (%s), warning with its path, and keeps the others", (what, damage, problem) => {
    const dir = threeChunks(`damaged ${what}`);
    const chunk = join(dir, "chunk-000002.json");
    writeFileSync(chunk, damage(readFileSync(chunk, "utf8")));
    const warnings: string[] = [];
    const store = EmbeddingStore.open(tmp.dir, `damaged ${what}`, "VOC2007", "target", { onWarning: (m) => warnings.push(m) });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`Discarded the embedding cache chunk ${chunk}: `);
    expect(warnings[0]).toMatch(problem);
    expect(["a1", "a2", "b1", "b2", "c1", "c2"].filter((k) => store.get(k))).toEqual(["a1", "a2", "c1", "c2"]);
    expect(readdirSync(dir)).toEqual(["chunk-000001.json", "chunk-000003.json"]);
    store.append([{ key: "b1", embedding: Float32Array.from([1, 0, 1]) }]);
    expect(readdirSync(dir)).toEqual(["chunk-000001.json", "chunk-000003.json", "chunk-000004.json"]);
  });

  it("deletes every chunk when no embedding length is held by most entries", () => {
    const dir = threeChunks("tie");
    // Three 3-d embeddings (chunk 1, and one in chunk 3) against three 2-d ones (chunk 2, and one in chunk 3).
    const [two, three] = [join(dir, "chunk-000002.json"), join(dir, "chunk-000003.json")];
    writeFileSync(two, withEmbedding(withEmbedding(readFileSync(two, "utf8"), floats(1, 0), 0), floats(1, 0)));
    writeFileSync(three, withEmbedding(readFileSync(three, "utf8"), floats(1, 0)));
    const warnings: string[] = [];
    const store = EmbeddingStore.open(tmp.dir, "tie", "VOC2007", "target", { onWarning: (m) => warnings.push(m) });
    expect(store.size).toBe(0);
    expect(warnings).toHaveLength(3);
    expect(readdirSync(dir)).toEqual([]);
    expect(warnings[0]).toMatch(/chunk-000001\.json: it holds an embedding of 3 dimensions where no length is held by most of the store/);
  });
});

/** The chunk text with entry `index`'s embedding replaced. */
function withEmbedding(text: string, embedding: string, index = 1): string {
  const chunk = JSON.parse(text);
  chunk.entries[index].embedding = embedding;
  return JSON.stringify(chunk);
}
