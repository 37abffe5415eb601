import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Document } from "@langchain/core/documents";
import { HumanMessage } from "@langchain/core/messages";
import { InMemoryStore } from "@langchain/core/stores";
import { connectRgeModel, EmptyInputError, loadRgeModel, RemoteAuthError, RemoteError, RgeRemoteModel, type RgeModel } from "@rge/core";
import { gradientPng, tempDir, writeTinyBundle } from "@rge/core/testing";
import { createRgeServer } from "@rge/server";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { itFollowsTheEmbeddingsContract } from "../contract/embeddings-contract.js";
import { RationaleCallbackHandler } from "../rationale/rationale-callback-handler.js";
import type { CachedRationale } from "./rationale-cache.js";
import { RgeEmbeddings, type RgeEmbeddingsParams, type RgeQueryResult } from "./rge-embeddings.js";

// One model behind both embedders: the in-process one calls it directly, the remote one through rge-serve.
const scratch = tempDir("rge-langchain-remote-");
const API_KEY = "test-key";
let model: RgeModel;
let server: Awaited<ReturnType<typeof createRgeServer>>;
let url: string;
let png: Uint8Array;
let pngPath: string;
let local: RgeEmbeddings;
let remote: RgeEmbeddings;
const made: RgeEmbeddings[] = [];
const remoteEmbedder = (params: Partial<RgeEmbeddingsParams> = {}) => {
  const embeddings = new RgeEmbeddings({ model: url, apiKey: API_KEY, maxNewTokens: 24, ...params });
  made.push(embeddings);
  return embeddings;
};

beforeAll(async () => {
  model = await loadRgeModel(writeTinyBundle(join(scratch.dir, "bundle"), { seed: 1 }).dir);
  server = await createRgeServer(model, { apiKey: API_KEY });
  url = await server.listen({ host: "127.0.0.1", port: 0 });
  local = new RgeEmbeddings({ model, maxNewTokens: 24 });
  remote = remoteEmbedder();
  png = await gradientPng(64, 48);
  pngPath = join(scratch.dir, "query.png");
  writeFileSync(pngPath, png);
});
afterAll(async () => {
  await Promise.all(made.map((e) => e.dispose()));
  await server?.close();
  await model?.dispose();
  scratch.remove();
});

/** A result without its wall time, the one field that differs between two calls. */
const withoutMs = ({ ms: _, ...rest }: RgeQueryResult) => rest;

describe("RgeEmbeddings against a server: LangChain embeddings contract", () => {
  itFollowsTheEmbeddingsContract(() => remote);
});

describe("RgeEmbeddings against a server: the results of the model in process", () => {
  it("connects on first use to the server named by URL", async () => {
    expect(await remote.getModel()).toBeInstanceOf(RgeRemoteModel);
    expect(await remote.dimension()).toBe(model.dimension);
  });

  it("embeds text queries with the same embedding, rationale, stop reason and tokens", async () => {
    for (const query of ["What is the tallest mountain?", { text: "foo", instruction: "Find a passage:" }, { text: "bar", instruction: null }]) {
      expect(withoutMs(await remote.embedQueryWithRationale(query))).toEqual(withoutMs(await local.embedQueryWithRationale(query)));
    }
    expect(await remoteEmbedder({ reasoning: false }).embedQuery("foo")).toEqual(await new RgeEmbeddings({ model, reasoning: false }).embedQuery("foo"));
  });

  it("embeds image queries given as a file path, bytes or a message (sent as data: URLs) as in process", async () => {
    const reference = withoutMs(await local.embedQueryWithRationale({ text: "What is this?", image: pngPath }));
    const dataUrl = `data:image/png;base64,${Buffer.from(png).toString("base64")}`;
    const forms = [
      { text: "What is this?", image: pngPath },
      { text: "What is this?", image: png },
      new HumanMessage({ content: [{ type: "text", text: "What is this?" }, { type: "image_url", image_url: { url: dataUrl } }] }),
    ];
    for (const form of forms) expect(withoutMs(await remote.embedQueryWithRationale(form))).toEqual(reference);
  });

  it("embeds text and image documents as in process", async () => {
    const documents = ["A red apple.", { image: pngPath }, new Document({ pageContent: "a caption", metadata: { image: png } }), { text: "plain", instruction: null }];
    expect(await remote.embedDocuments(documents)).toEqual(await local.embedDocuments(documents));
  });

  it("hands every rationale to the callback handler, and answers a repeated query from the rationale cache", async () => {
    const handler = new RationaleCallbackHandler();
    const embeddings = remoteEmbedder({ callbacks: [handler], rationaleCache: new InMemoryStore<CachedRationale>() });
    const first = await embeddings.embedQueryWithRationale({ text: "Which fruit is red?", image: pngPath });
    const second = await embeddings.embedQueryWithRationale({ text: "Which fruit is red?", image: pngPath });
    expect(first.rationale).toBe((await local.embedQueryWithRationale({ text: "Which fruit is red?", image: pngPath })).rationale);
    expect([first.cached, second.cached]).toEqual([false, true]);
    expect(handler.records.map((r) => [r.rationale, r.stoppedBy, r.query.text])).toEqual([
      [first.rationale, first.stoppedBy, "Which fruit is red?"],
      [first.rationale, first.stoppedBy, "Which fruit is red?"],
    ]);
  });
});

describe("RgeEmbeddings against a server: streaming", () => {
  it("streams the rationale's tokens from the server to the handler as in process", async () => {
    const collect = async (embeddings: RgeEmbeddings) => {
      const pieces: string[] = [];
      const handler = new RationaleCallbackHandler({ onToken: (p) => void pieces.push(p.text) });
      const result = await embeddings.embedQueryWithRationale("a long question about the weather", { callbacks: [handler] });
      return { pieces, rationale: result.rationale };
    };
    const there = await collect(remote);
    expect(there.pieces.join("")).toBe(there.rationale);
    expect(there).toEqual(await collect(local));
  });
});

describe("RgeEmbeddings against a server: errors", () => {
  it("gives the core's typed error for a bad input, as in process", async () => {
    for (const call of [() => remote.embedQuery(""), () => remote.embedDocuments(["ok", "  "])]) {
      const error = await call().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(EmptyInputError);
      expect(error).toMatchObject({ code: "RGE_EMPTY_INPUT" });
    }
  });

  it("says so when the API key is wrong or missing", async () => {
    for (const apiKey of ["wrong", undefined]) {
      const embeddings = new RgeEmbeddings({ model: url, ...(apiKey ? { apiKey } : {}) });
      const error = await embeddings.embedQuery("foo").catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RemoteAuthError);
      expect(error).toMatchObject({ code: "RGE_REMOTE_AUTH", status: 401, message: expect.stringMatching(/refused the API key/) });
    }
  });

  it("retries, when maxRetries allows, a server that did not answer, but not one that refused the request", async () => {
    const connected = await connectRgeModel(url, { apiKey: API_KEY });
    const spy = vi.spyOn(connected, "embedQuery").mockRejectedValueOnce(new RemoteError("unreachable", url, undefined, null));
    const embeddings = new RgeEmbeddings({ model: connected, maxRetries: 1, maxNewTokens: 24 });
    expect(await embeddings.embedQuery("foo")).toEqual(await local.embedQuery("foo"));
    expect(spy).toHaveBeenCalledTimes(2);
    spy.mockClear().mockRejectedValueOnce(new RemoteError("bad request", url, 400, "invalid_request"));
    await expect(embeddings.embedQuery("bar")).rejects.toThrow("bad request");
    expect(spy).toHaveBeenCalledTimes(1);
  });

  it("refuses an empty apiKey in the constructor", () => {
    expect(() => new RgeEmbeddings({ model: url, apiKey: "" })).toThrow(expect.objectContaining({ code: "RGE_INVALID_OPTION", message: 'apiKey must be a non-empty string, got "".' }));
  });
});
