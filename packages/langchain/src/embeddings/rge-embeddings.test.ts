import { InMemoryStore } from "@langchain/core/stores";
import { HumanMessage } from "@langchain/core/messages";
import { gradientPng } from "@rge/core/testing";
import { loadRgeModel, RgeError } from "@rge/core";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { itFollowsTheEmbeddingsContract } from "../contract/embeddings-contract.js";
import { useTinyRge } from "../contract/tiny-rge.js";
import { RgeEmbeddings, type RgeEmbeddingsParams } from "./rge-embeddings.js";
import type { CachedRationale } from "./rationale-cache.js";

const tiny = useTinyRge();
let png: Uint8Array;
beforeAll(async () => {
  png = await gradientPng(64, 48);
});

describe("RgeEmbeddings: LangChain embeddings contract", () => {
  itFollowsTheEmbeddingsContract(() => tiny().embeddings);
});

describe("RgeEmbeddings: images", () => {
  it("embeds a query with an image differently from the same query without it", async () => {
    const { embeddings } = tiny();
    const withImage = await embeddings.embedQuery({ text: "What is this?", image: png });
    const without = await embeddings.embedQuery({ text: "What is this?" });
    expect(withImage).not.toEqual(without);
  });

  it("reads the same image from bytes, a data URL, and every LangChain image block dialect", async () => {
    const { embeddings } = tiny();
    const base64 = Buffer.from(png).toString("base64");
    const dataUrl = `data:image/png;base64,${base64}`;
    const reference = await embeddings.embedQuery({ text: "What is this?", image: png });
    const forms = [
      { text: "What is this?", image: dataUrl },
      { text: "What is this?", image: { type: "image" as const, data: base64, mimeType: "image/png" } },
      { text: "What is this?", image: { type: "image" as const, url: dataUrl } },
      { text: "What is this?", image: { type: "image_url" as const, image_url: { url: dataUrl } } },
      { text: "What is this?", image: { type: "image" as const, source_type: "base64", data: base64, mime_type: "image/png" } },
      new HumanMessage({ content: [{ type: "text", text: "What is this?" }, { type: "image_url", image_url: { url: dataUrl } }] }),
      new HumanMessage({ contentBlocks: [{ type: "text", text: "What is this?" }, { type: "image", data: png, mimeType: "image/png" }] }),
    ];
    for (const form of forms) expect(await embeddings.embedQuery(form)).toEqual(reference);
  });

  it("embeds image documents, and documents given as LangChain Documents with metadata.image", async () => {
    const { embeddings } = tiny();
    const [a, b] = await embeddings.embedDocuments([{ image: png }, { pageContent: "", metadata: { image: png } }]);
    expect(a).toEqual(b);
    const [text] = await embeddings.embedDocuments(["a caption"]);
    expect(a).not.toEqual(text);
  });
});

describe("RgeEmbeddings: options", () => {
  it("with reasoning off, embeds the query in one pass and reports no rationale", async () => {
    const result = await tiny().embedder({ reasoning: false }).embedQueryWithRationale("foo");
    expect(result).toMatchObject({ rationale: "", stoppedBy: "noReasoning", tokens: { generated: 0 } });
    expect(result.embedding).not.toEqual(await tiny().embeddings.embedQuery("foo"));
  });

  it("respects maxNewTokens", async () => {
    const result = await tiny().embedder({ maxNewTokens: 1 }).embedQueryWithRationale("foo");
    expect(result.tokens.generated).toBe(1);
  });

  it("applies queryInstruction and documentInstruction unless an input brings its own", async () => {
    const plain = tiny().embeddings;
    const instructed = tiny().embedder({ queryInstruction: "Find a passage:", documentInstruction: null });
    expect(await instructed.embedQuery("foo")).toEqual(await plain.embedQuery({ text: "foo", instruction: "Find a passage:" }));
    expect(await instructed.embedQuery({ text: "foo", instruction: "Other:" })).toEqual(await plain.embedQuery({ text: "foo", instruction: "Other:" }));
    expect(await instructed.embedDocuments(["foo"])).toEqual(await plain.embedDocuments([{ text: "foo", instruction: null }]));
  });

  it("answers a repeated query from the rationale cache without generating again", async () => {
    const cache = new InMemoryStore<CachedRationale>();
    const model = await loadRgeModel(tiny().dir);
    const spy = vi.spyOn(model, "embedQuery");
    const embeddings = new RgeEmbeddings({ model, rationaleCache: cache, maxNewTokens: 24 });
    const first = await embeddings.embedQueryWithRationale({ text: "foo", image: png });
    const second = await embeddings.embedQueryWithRationale({ text: "foo", image: new Uint8Array(png) });
    expect(spy).toHaveBeenCalledTimes(1);
    expect([first.cached, second.cached]).toEqual([false, true]);
    expect(second.embedding).toEqual(first.embedding);
    expect(second.rationale).toBe(first.rationale);
    await embeddings.embedQueryWithRationale({ text: "foo" });
    expect(spy).toHaveBeenCalledTimes(2);
    await model.dispose();
  });

  it("uses a loaded model without disposing it", async () => {
    const model = await loadRgeModel(tiny().dir);
    const embeddings = new RgeEmbeddings({ model });
    expect(await embeddings.dimension()).toBe(model.dimension);
    await embeddings.dispose();
    expect(await model.embedTarget({ text: "still usable" })).toBeDefined();
    await model.dispose();
  });

  it("does not retry failures by default, and never retries RgeErrors", async () => {
    const model = await loadRgeModel(tiny().dir);
    const spy = vi.spyOn(model, "embedQuery").mockRejectedValue(new Error("flaky"));
    await expect(new RgeEmbeddings({ model }).embedQuery("foo")).rejects.toThrow("flaky");
    expect(spy).toHaveBeenCalledTimes(1);
    spy.mockRejectedValue(new RgeError("RGE_INTERNAL", "deterministic"));
    await expect(new RgeEmbeddings({ model, maxRetries: 3 }).embedQuery("foo")).rejects.toThrow("deterministic");
    expect(spy).toHaveBeenCalledTimes(2);
    await model.dispose();
  });
});

describe("RgeEmbeddings: bad inputs give the core's typed errors", () => {
  const cases: [string, () => Promise<unknown>, string][] = [
    ["an empty query", () => tiny().embeddings.embedQuery(""), "RGE_EMPTY_INPUT"],
    ["a query with neither text nor image", () => tiny().embeddings.embedQuery({}), "RGE_EMPTY_INPUT"],
    ["an empty document", () => tiny().embeddings.embedDocuments(["ok", "  "]), "RGE_EMPTY_INPUT"],
    ["a missing image file", () => tiny().embeddings.embedQuery({ image: "/nonexistent/cat.png" }), "RGE_IMAGE_UNSUPPORTED_SOURCE"],
    ["bytes that are not an image", () => tiny().embeddings.embedDocuments([{ image: new Uint8Array([1, 2, 3, 4]) }]), "RGE_IMAGE_UNDECODABLE"],
    ["an image block with an unsupported scheme", () => tiny().embeddings.embedQuery({ image: { type: "image", url: "ftp://host/cat.png" } }), "RGE_IMAGE_UNSUPPORTED_SOURCE"],
    ["an image block with a provider file id", () => tiny().embeddings.embedQuery({ image: { type: "image", fileId: "file-123" } }), "RGE_IMAGE_UNSUPPORTED_SOURCE"],
    ["an http image without network", () => tiny().embeddings.embedQuery({ image: { type: "image", url: "https://example.com/cat.png" } }), "RGE_NETWORK_DISABLED"],
    [
      "a message with two images",
      () => tiny().embeddings.embedQuery(new HumanMessage({ contentBlocks: [{ type: "image", url: "/a.png" }, { type: "image", url: "/b.png" }] })),
      "RGE_INVALID_OPTION",
    ],
    ["a missing bundle", () => new RgeEmbeddings({ model: "/nonexistent/bundle" }).embedQuery("foo"), "RGE_BUNDLE_NOT_FOUND"],
  ];
  for (const [what, call, code] of cases) {
    it(`${what} → ${code}`, async () => {
      const error = await call().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(RgeError);
      expect((error as RgeError).code).toBe(code);
    });
  }
});

describe("RgeEmbeddings: wrong params are refused by the constructor with RGE_INVALID_OPTION", () => {
  const cases: [Record<string, unknown>, string][] = [
    [{ maxNewTokens: NaN }, "maxNewTokens must be an integer ≥ 1, got NaN."],
    [{ maxNewTokens: 0 }, "maxNewTokens must be an integer ≥ 1, got 0."],
    [{ batchSize: 1.5 }, "batchSize must be an integer ≥ 1, got 1.5."],
    [{ batchSize: -1 }, "batchSize must be an integer ≥ 1, got -1."],
    [{ reasoning: "yes" }, 'reasoning must be true or false, got "yes".'],
    [{ queryInstruction: 3 }, "queryInstruction must be a string, got 3."],
    [{ documentInstruction: false }, "documentInstruction must be a string, got false."],
    [{ allowNetwork: "true" }, 'allowNetwork must be true or false, got "true".'],
    [{ rationaleCache: {} }, "rationaleCache must be a store such as InMemoryStore (with mget and mset), got object."],
    [{ loadOptions: "fast" }, 'loadOptions must be an object, got "fast".'],
    [{ maxRetries: -1 }, "maxRetries must be an integer ≥ 0, got -1."],
    [{ maxConcurrency: NaN }, "maxConcurrency must be an integer ≥ 1, or Infinity, got NaN."],
    [{ model: "" }, 'model must be a bundle directory, a hub id, a server URL or a loaded RgeModel, got "".'],
    [{ model: undefined }, "model must be a bundle directory, a hub id, a server URL or a loaded RgeModel, got undefined."],
  ];
  for (const [params, message] of cases) {
    it(`${JSON.stringify(params, (_, v: unknown) => (v === undefined ? "undefined" : Number.isNaN(v) ? "NaN" : v))} → ${message}`, () => {
      expect(() => new RgeEmbeddings({ model: "/nonexistent/bundle", ...params } as RgeEmbeddingsParams)).toThrow(
        expect.objectContaining({ code: "RGE_INVALID_OPTION", message }),
      );
    });
  }

  it("keeps accepting null instructions, Infinity concurrency and a LangChain store", () => {
    expect(() => new RgeEmbeddings({ model: "/nonexistent/bundle", queryInstruction: null, documentInstruction: "", maxConcurrency: Infinity, rationaleCache: new InMemoryStore<CachedRationale>() })).not.toThrow();
  });

  it("refuses a per-call signal that is not an AbortSignal before embedding", async () => {
    const model = await loadRgeModel(tiny().dir);
    const spy = vi.spyOn(model, "embedQuery");
    const call = new RgeEmbeddings({ model }).embedQueryWithRationale("foo", { signal: "stop" as unknown as AbortSignal });
    await expect(call).rejects.toMatchObject({ code: "RGE_INVALID_OPTION", message: 'signal must be an AbortSignal, got "stop".' });
    expect(spy).not.toHaveBeenCalled();
    await model.dispose();
  });
});
