import { BaseCallbackHandler } from "@langchain/core/callbacks/base";
import { Document } from "@langchain/core/documents";
import { StringOutputParser } from "@langchain/core/output_parsers";
import { ChatPromptTemplate } from "@langchain/core/prompts";
import { RunnableLambda } from "@langchain/core/runnables";
import { FakeListChatModel } from "@langchain/core/utils/testing";
import { gradientPng } from "@rge/core/testing";
import { describe, expect, it } from "vitest";
import { useTinyRge } from "../contract/tiny-rge.js";
import type { RgeQuery } from "../inputs/rge-query.js";
import { RationaleCallbackHandler } from "../rationale/rationale-callback-handler.js";
import { RATIONALE_RUN_NAME } from "../rationale/rationale-run.js";
import { RgeRetriever } from "./rge-retriever.js";

const tiny = useTinyRge();

/** Records which retriever run each rationale run belongs to. */
function runTree() {
  const retrieverQueries = new Map<string, unknown>();
  const rationaleParents = new Map<string, string | undefined>();
  const handler = BaseCallbackHandler.fromMethods({
    handleRetrieverStart: (_r, query, runId) => void retrieverQueries.set(runId, query),
    handleLLMStart: (_llm, _p, runId, parentRunId, _e, _t, _m, name) => void (name === RATIONALE_RUN_NAME && rationaleParents.set(runId, parentRunId)),
  });
  handler.awaitHandlers = true;
  return { handler, retrieverQueries, rationaleParents };
}

describe("RgeRetriever in a chain", () => {
  it("retriever → prompt → chat model: the handler receives each query's rationale exactly once, under its retriever run", async () => {
    const retriever = await RgeRetriever.fromDocuments(
      [new Document({ pageContent: "Apples are red." }), new Document({ pageContent: "Stars shine at night." }), new Document({ pageContent: "", metadata: { image: await gradientPng(50, 50) } })],
      { embeddings: tiny().embeddings, k: 2 },
    );
    const prompt = ChatPromptTemplate.fromTemplate("Answer from the context.\nContext:\n{context}\nRationale: {rationale}");
    const chain = retriever
      .pipe((docs) => ({ context: docs.map((d) => d.pageContent).join("\n"), rationale: String(docs[0]?.metadata.rge.rationale) }))
      .pipe(prompt)
      .pipe(new FakeListChatModel({ responses: ["answer"] }))
      .pipe(new StringOutputParser());
    const handler = new RationaleCallbackHandler();
    const tree = runTree();
    const queries = ["Which fruit is red?", "What shines at night?", "Name a colour."];
    expect(await chain.batch(queries, { callbacks: [handler, tree.handler] })).toEqual(["answer", "answer", "answer"]);

    expect(handler.records.map((r) => r.query.text).sort()).toEqual([...queries].sort());
    for (const record of handler.records) {
      const parent = tree.rationaleParents.get(record.runId);
      expect(tree.retrieverQueries.get(parent!)).toBe(record.query.text);
    }
  });

  it("takes an image query inside a chain", async () => {
    const retriever = await RgeRetriever.fromDocuments([new Document({ pageContent: "a" }), new Document({ pageContent: "b" })], { embeddings: tiny().embeddings, k: 1 });
    const handler = new RationaleCallbackHandler();
    const chain = RunnableLambda.from((q: RgeQuery) => q).pipe(RunnableLambda.from((q: RgeQuery, config) => retriever.invoke(q, config)));
    const docs = await chain.invoke({ text: "What is this?", image: await gradientPng(40, 40) }, { callbacks: [handler] });
    expect(docs).toHaveLength(1);
    expect(handler.records).toHaveLength(1);
    expect(handler.records[0]!.query).toMatchObject({ text: "What is this?", image: expect.stringMatching(/bytes$/) });
  });
});
