import { readdirSync } from "node:fs";
import { tempDir } from "@rge/core/testing";
import { afterAll, describe, expect, it } from "vitest";
import { EmbeddingStore } from "./embedding-store.js";

const tmp = tempDir("rge-eval-cache-");
afterAll(() => tmp.remove());

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
});
