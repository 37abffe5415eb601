import { BaseCallbackHandler } from "@langchain/core/callbacks/base";
import { Document } from "@langchain/core/documents";
import { RunnableLambda } from "@langchain/core/runnables";
import { InMemoryStore } from "@langchain/core/stores";
import { gradientPng } from "@rge/core/testing";
import { describe, expect, it } from "vitest";
import { useTinyRge } from "../contract/tiny-rge.js";
import { RgeVectorStore } from "../vectorstore/rge-vector-store.js";
import { RATIONALE_EVENT, RATIONALE_TOKEN_EVENT, type RationaleEvent } from "./rationale-event.js";
import { RationaleCallbackHandler } from "./rationale-callback-handler.js";
import { RATIONALE_RUN_NAME } from "./rationale-run.js";

const tiny = useTinyRge();
const neverEmb = useTinyRge({ maxNewTokens: 5 }, { seed: 2, emb: "never" });
const talkative = useTinyRge({ maxNewTokens: 30 }, { seed: 11, embStrength: 1.2 }); // rationales of 14 to 30 tokens

describe("RationaleCallbackHandler", () => {
  it("hears a direct RgeEmbeddings call through the embedder's callbacks, with the full payload", async () => {
    const handler = new RationaleCallbackHandler();
    const result = await tiny().embedder({ callbacks: [handler] }).embedQueryWithRationale({ text: "Which fruit is red?", image: await gradientPng(30, 30) });
    expect(handler.records).toHaveLength(1);
    const [record] = handler.records;
    expect(record).toMatchObject({
      query: { text: "Which fruit is red?", image: expect.stringMatching(/^\d+ bytes$/) },
      rationale: result.rationale,
      stoppedBy: result.stoppedBy,
      hitTokenCap: false,
      tokens: result.tokens,
      cached: false,
      tags: ["rge"],
    });
    expect(record!.ms).toBeGreaterThanOrEqual(0);
    expect(typeof record!.runId).toBe("string");
  });

  it("flags rationales that hit the token cap without <emb>", async () => {
    const lines: string[] = [];
    const handler = new RationaleCallbackHandler({ print: (line) => lines.push(line) });
    await neverEmb().embedder({ callbacks: [handler] }).embedQuery("foo");
    expect(handler.capped).toHaveLength(1);
    expect(handler.records[0]).toMatchObject({ stoppedBy: "maxNewTokens", hitTokenCap: true, tokens: { generated: 5 } });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\[rge\] "foo" → .* \(⚠ hit maxNewTokens \(5\) without <emb>, \d+ ms\)$/);
  });

  it("hands each rationale to the user's function and keeps at most maxRecords", async () => {
    const seen: RationaleEvent[] = [];
    const handler = new RationaleCallbackHandler({ onRationale: (r) => void seen.push(r), maxRecords: 2 });
    const embeddings = tiny().embedder({ callbacks: [handler] });
    for (const q of ["a", "b", "c"]) await embeddings.embedQuery(q);
    expect(seen.map((r) => r.query.text)).toEqual(["a", "b", "c"]);
    expect(handler.records.map((r) => r.query.text)).toEqual(["b", "c"]);
    handler.clear();
    expect(handler.records).toEqual([]);
  });

  it("hears embedQuery called inside a runnable (callbacks from async local storage)", async () => {
    const handler = new RationaleCallbackHandler();
    const embed = RunnableLambda.from((q: string) => tiny().embeddings.embedQuery(q));
    await embed.invoke("inside a lambda", { callbacks: [handler] });
    expect(handler.records.map((r) => r.query.text)).toEqual(["inside a lambda"]);
  });

  it("hears a plain vectorStore.asRetriever() called inside a runnable step", async () => {
    const handler = new RationaleCallbackHandler();
    const store = await RgeVectorStore.fromDocuments([new Document({ pageContent: "apples" }), new Document({ pageContent: "stars" })], tiny().embeddings);
    const retriever = store.asRetriever(1);
    const chain = RunnableLambda.from(async (q: string) => (await retriever.invoke(q))[0]!.pageContent);
    await chain.invoke("fruit", { callbacks: [handler] });
    expect(handler.records.map((r) => r.query.text)).toEqual(["fruit"]);
  });

  it("hears a plain vectorStore.asRetriever() piped directly in a sequence through the embedder's own callbacks", async () => {
    // LangChain hands embedding calls no callbacks here (VectorStore.similaritySearch drops them).
    const handler = new RationaleCallbackHandler();
    const embeddings = tiny().embedder({ callbacks: [handler] });
    const store = await RgeVectorStore.fromDocuments([new Document({ pageContent: "apples" })], embeddings);
    await RunnableLambda.from((q: string) => q).pipe(store.asRetriever(1)).invoke("fruit");
    expect(handler.records.map((r) => r.query.text)).toEqual(["fruit"]);
  });

  it("hears each rationale once when attached to both the embedder and the call", async () => {
    const handler = new RationaleCallbackHandler();
    const embed = RunnableLambda.from((q: string) => tiny().embedder({ callbacks: [handler] }).embedQuery(q));
    await embed.invoke("twice attached", { callbacks: [handler] });
    expect(handler.records).toHaveLength(1);
  });

  it("costs nothing and fails nothing when no handler listens", async () => {
    await expect(tiny().embeddings.embedQuery("nobody listens")).resolves.toHaveLength(await tiny().embeddings.dimension());
  });

  it("reports the rationale as an LLM run named rge_rationale, so tracers show it", async () => {
    const runs: { name?: string; prompts: string[]; output?: string }[] = [];
    const tracer = BaseCallbackHandler.fromMethods({
      handleLLMStart: (_llm, prompts, _runId, _parent, _extra, _tags, _meta, name) => void runs.push({ ...(name ? { name } : {}), prompts }),
      handleLLMEnd: (output) => void (runs.at(-1)!.output = output.generations[0]![0]!.text),
    });
    tracer.awaitHandlers = true;
    const result = await tiny().embedder({ callbacks: [tracer] }).embedQueryWithRationale("traced");
    expect(runs).toEqual([{ name: RATIONALE_RUN_NAME, prompts: [JSON.stringify({ text: "traced" })], output: result.rationale }]);
  });

  it("surfaces in streamEvents as an on_custom_event with the stable name and payload", async () => {
    const embed = RunnableLambda.from((q: string) => tiny().embeddings.embedQuery(q));
    const custom = [];
    for await (const event of embed.streamEvents("streamed", { version: "v2" })) {
      if (event.event === "on_custom_event" && event.name === RATIONALE_EVENT) custom.push(event);
    }
    expect(custom).toHaveLength(1);
    expect(custom[0]).toMatchObject({ name: RATIONALE_EVENT, data: { query: { text: "streamed" }, cached: false } });
  });

  it("streams the rationale token by token in streamEvents: on_llm_stream and rge_rationale_token, then rge_rationale", async () => {
    const embed = RunnableLambda.from((q: string) => talkative().embeddings.embedQueryWithRationale(q));
    const chunks: string[] = [];
    const order: string[] = [];
    let result;
    for await (const event of embed.streamEvents("a long question about the weather", { version: "v2" })) {
      if (event.event === "on_llm_stream" && event.name === RATIONALE_RUN_NAME) chunks.push((event.data.chunk as { text: string }).text);
      if (event.event === "on_custom_event") order.push(event.name);
      if (event.event === "on_chain_end") result = event.data.output as { rationale: string };
    }
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.join("")).toBe(result!.rationale);
    expect(order).toEqual([...chunks.map(() => RATIONALE_TOKEN_EVENT), RATIONALE_EVENT]);
  });

  it("hands each piece to onToken in order, before the rationale; a cached rationale comes as one piece", async () => {
    const pieces: string[] = [];
    const handler = new RationaleCallbackHandler({ onToken: (p) => void pieces.push(p.text), onRationale: () => void pieces.push("<end>") });
    const embeddings = talkative().embedder({ callbacks: [handler], rationaleCache: new InMemoryStore() });
    const first = await embeddings.embedQueryWithRationale("where is the nearest bakery");
    expect(pieces.at(-1)).toBe("<end>");
    expect(pieces.slice(0, -1).join("")).toBe(first.rationale);
    pieces.length = 0;
    const again = await embeddings.embedQueryWithRationale("where is the nearest bakery");
    expect(again.cached).toBe(true);
    expect(pieces).toEqual([first.rationale, "<end>"]);
  });

  it("refuses wrong options with RGE_INVALID_OPTION, where maxRecords: NaN kept every record and -1 kept none", () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ maxRecords: NaN }, "maxRecords must be an integer ≥ 0, or Infinity, got NaN."],
      [{ maxRecords: -1 }, "maxRecords must be an integer ≥ 0, or Infinity, got -1."],
      [{ maxRecords: 2.5 }, "maxRecords must be an integer ≥ 0, or Infinity, got 2.5."],
      [{ print: "yes" }, 'print must be true, false or a function, got "yes".'],
      [{ onRationale: true }, "onRationale must be a function, got true."],
      [{ onToken: 1 }, "onToken must be a function, got 1."],
    ];
    for (const [options, message] of cases) {
      expect(() => new RationaleCallbackHandler(options)).toThrow(expect.objectContaining({ code: "RGE_INVALID_OPTION", message }));
    }
    expect(() => new RationaleCallbackHandler({ maxRecords: Infinity, print: false })).not.toThrow();
  });
});
