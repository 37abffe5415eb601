import { OpenAIEmbeddings } from "@langchain/openai";
import { loadRgeModel, type RgeModel } from "@rge/core";
import { gradientPng, tempDir, writeTinyBundle } from "@rge/core/testing";
import type { FastifyInstance } from "fastify";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRgeServer } from "./server.js";

const scratch = tempDir();
let model: RgeModel;
let server: FastifyInstance;
let url: string;
const API_KEY = "test-key";

beforeAll(async () => {
  const { dir } = writeTinyBundle(scratch.dir, { seed: 3 });
  model = await loadRgeModel(dir, { maxNewTokens: 6 });
  server = await createRgeServer(model, { apiKey: API_KEY, maxItems: 8 });
  url = await server.listen({ host: "127.0.0.1", port: 0 });
});
afterAll(async () => {
  await server?.close();
  await model?.dispose();
  scratch.remove();
});

const client = () => new OpenAI({ baseURL: `${url}/v1`, apiKey: API_KEY, maxRetries: 0 });

describe("the openai client against rge serve", () => {
  it("embeds documents (base64, the client's default) exactly as the model does in process", async () => {
    const texts = ["A cat on a mat.", "The moon at night."];
    const response = await client().embeddings.create({ model: "rge", input: texts });
    const local = await model.embedTargets(texts.map((text) => ({ text })));
    expect(response.data.map((d) => d.index)).toEqual([0, 1]);
    expect(response.data.map((d) => d.embedding)).toEqual(local.map((l) => Array.from(l.embedding)));
    expect(response.usage.prompt_tokens).toBe(local.reduce((s, l) => s + l.tokens.prompt, 0));
  });

  it("embeds queries with reasoning and returns each rationale (float encoding)", async () => {
    const response = await client().embeddings.create({ model: "rge:query", input: "What is in the picture?", encoding_format: "float" });
    const local = await model.embedQuery({ text: "What is in the picture?" });
    const item = response.data[0] as unknown as { embedding: number[]; rationale: string; stopped_by: string };
    expect(item.embedding).toEqual(Array.from(local.embedding));
    expect(item.rationale).toBe(local.rationale);
    expect(item.stopped_by).toBe(local.stoppedBy);
    expect(response.usage.total_tokens).toBe(local.tokens.prompt + local.tokens.generated);
  });

  it("takes vLLM's chat form with an image as a data: URL", async () => {
    const png = await gradientPng(56, 56);
    const dataUrl = `data:image/png;base64,${Buffer.from(png).toString("base64")}`;
    const messages = [{ role: "user", content: [{ type: "image_url", image_url: { url: dataUrl } }, { type: "text", text: "What is this?" }] }];
    const response = await client().embeddings.create({ model: "rge", side: "query", messages, encoding_format: "float" } as never);
    const local = await model.embedQuery({ text: "What is this?", image: dataUrl });
    expect(response.data[0]!.embedding).toEqual(Array.from(local.embedding));
  });

  it("answers bad requests in OpenAI's error shape with the RGE code, naming the item", async () => {
    const bad = await client().embeddings.create({ model: "rge", input: ["fine", ""] }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(OpenAI.BadRequestError);
    expect((bad as InstanceType<typeof OpenAI.BadRequestError>).code).toBe("RGE_EMPTY_INPUT");
    expect((bad as InstanceType<typeof OpenAI.BadRequestError>).param).toBe("input[1]");
    const dims = await client().embeddings.create({ model: "rge", input: "x", dimensions: 3 }).catch((e: unknown) => e);
    expect((dims as InstanceType<typeof OpenAI.BadRequestError>).code).toBe("unsupported_dimensions");
    const many = await client().embeddings.create({ model: "rge", input: Array.from({ length: 9 }, () => "x") }).catch((e: unknown) => e);
    expect((many as Error).message).toMatch(/at most 8/);
    const other = await client().embeddings.create({ model: "gpt-4", input: "x" }).catch((e: unknown) => e);
    expect(other).toBeInstanceOf(OpenAI.NotFoundError);
    const path = await client().embeddings.create({ model: "rge", messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "/etc/passwd" } }] }] } as never).catch((e: unknown) => e);
    expect((path as Error).message).toMatch(/data: URL/);
  });

  it("refuses a missing or wrong API key", async () => {
    const wrong = await new OpenAI({ baseURL: `${url}/v1`, apiKey: "nope", maxRetries: 0 }).embeddings.create({ model: "rge", input: "x" }).catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((await fetch(`${url}/health`)).status).toBe(200); // probes need no key
  });

  it("lists its model, and reports health and readiness", async () => {
    const models = await client().models.list();
    expect(models.data.map((m) => m.id)).toEqual(["rge", "rge:query", "rge:document"]);
    expect(await (await fetch(`${url}/ready`)).json()).toEqual({ status: "ready", model: "rge" });
  });
});

describe("LangChain's OpenAIEmbeddings against rge serve", () => {
  it("embeds documents and queries with no RGE code on the client", async () => {
    const embeddings = new OpenAIEmbeddings({ model: "rge", apiKey: API_KEY, configuration: { baseURL: `${url}/v1` }, maxRetries: 0 });
    const texts = ["Paris is in France.", "Bananas are yellow."];
    const vectors = await embeddings.embedDocuments(texts);
    const local = await model.embedTargets(texts.map((text) => ({ text })));
    expect(vectors).toEqual(local.map((l) => Array.from(l.embedding)));
    const queries = new OpenAIEmbeddings({ model: "rge:query", apiKey: API_KEY, configuration: { baseURL: `${url}/v1` }, maxRetries: 0 });
    const q = await queries.embedQuery("Where is Paris?");
    expect(q).toEqual(Array.from((await model.embedQuery({ text: "Where is Paris?" })).embedding));
  });
});

describe("serving limits", () => {
  it("answers 429 with Retry-After when the queue is full", async () => {
    const busy = await createRgeServer(model, { maxQueuedItems: 2 });
    const busyUrl = await busy.listen({ host: "127.0.0.1", port: 0 });
    try {
      const post = (input: string[]) => fetch(`${busyUrl}/v1/embeddings`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "rge", side: "query", input }) });
      const [first, second] = await Promise.all([post(["a", "b"]), post(["c"])]);
      expect(first.status).toBe(200);
      expect(second.status).toBe(429);
      expect(second.headers.get("retry-after")).toBe("1");
      expect(((await second.json()) as { error: { code: string } }).error.code).toBe("queue_full");
    } finally {
      await busy.close();
    }
  });

  it("refuses a schema violation before it reaches the model", async () => {
    const response = await fetch(`${url}/v1/embeddings`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${API_KEY}` },
      body: JSON.stringify({ input: 42 }),
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { type: string } }).error.type).toBe("invalid_request_error");
  });
});

describe("fairness and metrics", () => {
  it("a 1-item request is not held behind a 32-item request that came first", async () => {
    const scratchLong = tempDir();
    const { dir } = writeTinyBundle(scratchLong.dir, { seed: 4, emb: "never" });
    const slow = await loadRgeModel(dir, { maxNewTokens: 40, batchSize: 4, cacheSize: 0 });
    const fair = await createRgeServer(slow, { dispatchWindow: 4 });
    const fairUrl = await fair.listen({ host: "127.0.0.1", port: 0 });
    try {
      const finished: string[] = [];
      const post = (label: string, input: string[]) =>
        fetch(`${fairUrl}/v1/embeddings`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ side: "query", input }) }).then(async (r) => {
          expect(r.status).toBe(200);
          await r.json();
          finished.push(label);
        });
      const big = post("big", Array.from({ length: 32 }, (_, i) => `long question ${i}?`));
      await new Promise((r) => setTimeout(r, 20));
      await Promise.all([post("small", ["one short question?"]), big]);
      expect(finished).toEqual(["small", "big"]);

      const metrics = await (await fetch(`${fairUrl}/metrics`)).text();
      expect(metrics).toMatch(/rge_requests_total\{side="query",outcome="ok"\} 2/);
      expect(metrics).toMatch(/rge_items_total\{side="query"\} 33/);
      expect(metrics).toMatch(/rge_tokens_total\{kind="generated"\} 1320/); // 33 rationales of 40 tokens, no <emb>
      expect(metrics).toMatch(/rge_request_duration_seconds_count\{side="query"\} 2/);
      expect(metrics).toMatch(/rge_queue_items 0/);
      // The engine's own batches: 33 prefill rows, then each row fed once per generated token.
      expect(metrics).toMatch(/rge_batch_rows_total 1353\n/);
      const occupancy = Number(/rge_batch_occupancy ([\d.]+)/.exec(metrics)?.[1]);
      expect(occupancy).toBeGreaterThan(0.5); // the dispatch window keeps the engine's 4 slots mostly full
      expect(occupancy).toBeLessThanOrEqual(1);
    } finally {
      await fair.close();
      await slow.dispose();
      scratchLong.remove();
    }
  });
});
