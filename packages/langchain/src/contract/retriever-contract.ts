/**
 * The checks of LangChain's standard retriever suite (Python `langchain-tests` `RetrieversIntegrationTests`,
 * which has no JS port), adapted to JS: `k` is a constructor field (JS `invoke` has no kwargs), plus
 * `batch`, `stream` and callbacks.
 */
import { BaseCallbackHandler } from "@langchain/core/callbacks/base";
import { Document } from "@langchain/core/documents";
import type { BaseRetriever } from "@langchain/core/retrievers";
import { expect, it } from "vitest";

/** Registers the contract tests; `make(k)` builds a retriever over a store with at least 3 documents. */
export function itFollowsTheRetrieverContract(make: (k: number) => BaseRetriever, query: string): void {
  it("returns exactly k documents for the k given to the constructor", async () => {
    expect(await make(3).invoke(query)).toHaveLength(3);
    expect(await make(1).invoke(query)).toHaveLength(1);
  });

  it("invoke returns a list of Documents", async () => {
    const docs = await make(2).invoke(query);
    expect(Array.isArray(docs)).toBe(true);
    for (const d of docs) expect(d).toBeInstanceOf(Document);
  });

  it("batch returns one result per input, equal to invoke", async () => {
    const retriever = make(2);
    const [a, b] = await retriever.batch([query, query]);
    const single = await retriever.invoke(query);
    expect(a!.map((d) => d.pageContent)).toEqual(single.map((d) => d.pageContent));
    expect(b!.map((d) => d.pageContent)).toEqual(single.map((d) => d.pageContent));
  });

  it("stream yields the documents of invoke", async () => {
    const retriever = make(2);
    const chunks = [];
    for await (const chunk of await retriever.stream(query)) chunks.push(chunk);
    expect(chunks.flat().map((d) => d.pageContent)).toEqual((await retriever.invoke(query)).map((d) => d.pageContent));
  });

  it("reports its run to callback handlers", async () => {
    const events: string[] = [];
    const handler = BaseCallbackHandler.fromMethods({
      handleRetrieverStart: (_r, q) => void events.push(`start:${String(q)}`),
      handleRetrieverEnd: (docs) => void events.push(`end:${docs.length}`),
    });
    handler.awaitHandlers = true;
    await make(2).invoke(query, { callbacks: [handler] });
    expect(events).toEqual([`start:${query}`, "end:2"]);
  });
}
