import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gradientPng } from "../testing/test-images.js";
import { tempDir } from "../testing/temp-dir.js";
import { writeTinyBundle } from "../testing/tiny-model.js";
import { Forward } from "./forward.js";
import { loadRgeModel, type RgeModel } from "./rge-model.js";
import type { RgeInput } from "./prepare.js";

const tmp = tempDir();
let cached: RgeModel;
let plain: RgeModel;
let tokensFed = 0;
const embedTokens = Forward.prototype.embedTokens;

beforeAll(async () => {
  writeTinyBundle(tmp.dir, { seed: 33 });
  cached = await loadRgeModel(tmp.dir, { maxNewTokens: 20, cacheSize: 0 });
  plain = await loadRgeModel(tmp.dir, { maxNewTokens: 20, cacheSize: 0, prefixCache: false });
  Forward.prototype.embedTokens = function (ids, batch, seqLen) {
    tokensFed += batch * seqLen;
    return embedTokens.call(this, ids, batch, seqLen);
  };
});
afterAll(async () => {
  Forward.prototype.embedTokens = embedTokens;
  await Promise.all([cached.dispose(), plain.dispose()]);
  tmp.remove();
});

const close = (a: Float32Array, b: Float32Array) => a.every((v, i) => Math.abs(v - b[i]!) < 1e-5);

describe("shared-prefix KV cache", () => {
  it("gives the results of full prefill for queries, alone and batched, with and without images", async () => {
    const queries: RgeInput[] = [
      { text: "first query about cats" },
      { text: "second, longer query about the history of bread" },
      { text: "what is in it?", image: await gradientPng(48, 40) },
      { image: await gradientPng(40, 60, 5) },
    ];
    for (const q of queries) {
      const a = await cached.embedQuery(q);
      const b = await plain.embedQuery(q);
      expect(a.generatedIds).toEqual(b.generatedIds);
      expect(close(a.embedding, b.embedding)).toBe(true);
    }
    const batchA = await cached.embedQueries(queries);
    const batchB = await plain.embedQueries(queries);
    batchA.forEach((q, i) => {
      expect(q.generatedIds).toEqual(batchB[i]!.generatedIds);
      expect(close(q.embedding, batchB[i]!.embedding)).toBe(true);
    });
  });

  it("gives the results of full prefill for targets", async () => {
    const docs: RgeInput[] = [{ text: "a passage" }, { text: "another, longer passage of text" }, { image: await gradientPng(30, 30) }];
    const a = await cached.embedTargets(docs);
    const b = await plain.embedTargets(docs);
    a.forEach((t, i) => expect(close(t.embedding, b[i]!.embedding)).toBe(true));
  });

  it("feeds fewer prompt tokens once the shared prefix is cached", async () => {
    const docs: RgeInput[] = Array.from({ length: 6 }, (_, i) => ({ text: `document number ${i}` }));
    await cached.embedTargets(docs); // warms the prefix
    tokensFed = 0;
    await cached.embedTargets(docs);
    const withPrefix = tokensFed;
    tokensFed = 0;
    await plain.embedTargets(docs);
    expect(withPrefix).toBeLessThan(tokensFed / 2);
  });
});
