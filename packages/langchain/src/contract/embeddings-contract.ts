/**
 * The checks of LangChain's standard embeddings suite (Python `langchain-tests` `EmbeddingsIntegrationTests`,
 * which has no JS port), plus the ones a local model adds: batch equals singles, determinism, unit norm.
 */
import type { EmbeddingsInterface } from "@langchain/core/embeddings";
import { expect, it } from "vitest";

const close = (a: number[], b: number[], tol = 1e-5) => a.length === b.length && a.every((x, i) => Math.abs(x - b[i]!) <= tol);

function expectVector(v: unknown): asserts v is number[] {
  expect(Array.isArray(v)).toBe(true);
  expect((v as number[]).length).toBeGreaterThan(0);
  for (const x of v as number[]) expect(typeof x).toBe("number");
}

/** Registers the contract tests for an embedder; `get` returns the instance under test (made in a `beforeAll`). */
export function itFollowsTheEmbeddingsContract(get: () => EmbeddingsInterface): void {
  it("embedQuery returns a non-empty list of floats", async () => {
    expectVector(await get().embedQuery("foo"));
  });

  it("embedQuery gives vectors of one length", async () => {
    const [foo, bar] = [await get().embedQuery("foo"), await get().embedQuery("bar")];
    expect(bar.length).toBe(foo.length);
  });

  it("embedDocuments returns one vector per document, all of the query dimension", async () => {
    const docs = await get().embedDocuments(["foo", "bar", "baz"]);
    expect(docs).toHaveLength(3);
    const dim = (await get().embedQuery("foo")).length;
    for (const d of docs) {
      expectVector(d);
      expect(d.length).toBe(dim);
    }
  });

  it("embedDocuments of no documents is an empty list", async () => {
    expect(await get().embedDocuments([])).toEqual([]);
  });

  it("a batch of documents equals each document embedded alone", async () => {
    const texts = ["foo", "a longer document about apples and pears", "baz"];
    const batch = await get().embedDocuments(texts);
    for (const [i, text] of texts.entries()) {
      const [single] = await get().embedDocuments([text]);
      expect(close(batch[i]!, single!)).toBe(true);
    }
  });

  it("concurrent queries equal sequential ones", async () => {
    const texts = ["foo", "what is the tallest bar?", "baz"];
    const together = await Promise.all(texts.map((t) => get().embedQuery(t)));
    for (const [i, text] of texts.entries()) expect(close(together[i]!, await get().embedQuery(text))).toBe(true);
  });

  it("is deterministic and returns unit vectors", async () => {
    const [a, b] = [await get().embedQuery("foo"), await get().embedQuery("foo")];
    expect(a).toEqual(b);
    expect(Math.hypot(...a)).toBeCloseTo(1, 4);
    expect(Math.hypot(...(await get().embedDocuments(["foo"]))[0]!)).toBeCloseTo(1, 4);
  });
}
