import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gradientPng } from "../testing/test-images.js";
import { tempDir } from "../testing/temp-dir.js";
import { writeTinyBundle } from "../testing/tiny-model.js";
import { Forward } from "./forward.js";
import { loadRgeModel, type RgeModel } from "./rge-model.js";

const tmp = tempDir();
let model: RgeModel;
let uncached: RgeModel;
const calls = { prefill: 0 };

beforeAll(async () => {
  writeTinyBundle(tmp.dir, { seed: 21 });
  model = await loadRgeModel(tmp.dir, { maxNewTokens: 16, batchSize: 3 });
  uncached = await loadRgeModel(tmp.dir, { maxNewTokens: 16, batchSize: 3, cacheSize: 0 });
  const prefill = Forward.prototype.prefill;
  Forward.prototype.prefill = function (...args) {
    calls.prefill++;
    return prefill.apply(this, args);
  };
});
afterAll(async () => {
  await Promise.all([model.dispose(), uncached.dispose()]);
  tmp.remove();
});

describe("result cache", () => {
  it("answers a repeated query from the cache with the same result and no model call", async () => {
    const input = { text: "repeat me", image: await gradientPng(40, 30) };
    const fresh = await model.embedQuery(input);
    const before = calls.prefill;
    const cached = await model.embedQuery({ ...input, image: await gradientPng(40, 30) }); // equal bytes, new buffer
    expect(calls.prefill).toBe(before);
    expect(cached).toEqual(fresh);
    expect(cached.embedding).not.toBe(fresh.embedding); // a copy: callers cannot corrupt the cache
    cached.embedding.fill(0);
    expect((await model.embedQuery(input)).embedding).toEqual(fresh.embedding);
  });

  it("keys on content: a different image, budget or role is a miss", async () => {
    const before = calls.prefill;
    await model.embedQuery({ text: "repeat me", image: await gradientPng(40, 30, 1) });
    await model.embedQuery({ text: "repeat me", image: await gradientPng(40, 30) }, { maxNewTokens: 3 });
    await model.embedTarget({ text: "repeat me", image: await gradientPng(40, 30) });
    expect(calls.prefill).toBe(before + 3);
  });

  it("gives cached and uncached models the same results", async () => {
    const inputs = [{ text: "a" }, { text: "b b" }, { text: "a" }];
    const a = await model.embedQueries(inputs);
    const b = await uncached.embedQueries(inputs);
    a.forEach((q, i) => expect(q.embedding).toEqual(b[i]!.embedding));
  });
});

describe("length bucketing of one-pass inputs", () => {
  it("sorts a window of documents by length into batches, and each result matches its input alone", async () => {
    const texts = Array.from({ length: 10 }, (_, i) => "word ".repeat(1 + ((i * 7) % 10)));
    const batched = await uncached.embedTargets(texts.map((text) => ({ text })));
    for (const [i, text] of texts.entries()) {
      const alone = await uncached.embedTarget({ text });
      expect(alone.tokens).toEqual(batched[i]!.tokens);
      expect(alone.embedding.every((v, k) => Math.abs(v - batched[i]!.embedding[k]!) < 1e-5)).toBe(true);
    }
  });
});
