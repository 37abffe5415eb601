import { connectRgeModel, EmptyInputError, loadRgeModel, type EmbeddingsResponse, type EmbeddingsStreamEvent, type RationaleDelta, type RgeModel, type StreamedError } from "@rge/core";
import { tempDir, writeTinyBundle } from "@rge/core/testing";
import { EventSourceParserStream } from "eventsource-parser/stream";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRgeServer } from "./server.js";

const scratch = tempDir();
let model: RgeModel;
let server: FastifyInstance;
let url: string;

beforeAll(async () => {
  const { dir } = writeTinyBundle(scratch.dir, { seed: 11, embStrength: 1.2 }); // rationales of 14 to 24 tokens
  model = await loadRgeModel(dir, { maxNewTokens: 24, cacheSize: 0 });
  server = await createRgeServer(model, { maxItems: 8 });
  url = await server.listen({ host: "127.0.0.1", port: 0 });
});
afterAll(async () => {
  await server?.close();
  await model?.dispose();
  scratch.remove();
});

const texts = ["a red car", "where is the nearest bakery that sells sourdough", "tea"];

/** POSTs a streamed request and reads its events (the `data:` of each) until the server ends the stream. */
async function streamed(body: object, signal?: AbortSignal): Promise<{ response: Response; events: string[] }> {
  const response = await fetch(`${url}/v1/embeddings`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ stream: true, ...body }), ...(signal ? { signal } : {}) });
  const events: string[] = [];
  if (!response.headers.get("content-type")?.startsWith("text/event-stream")) return { response, events };
  for await (const event of response.body!.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream())) events.push(event.data);
  return { response, events };
}

const parsed = (events: string[]) => events.slice(0, -1).map((e) => JSON.parse(e) as EmbeddingsStreamEvent);

describe("rge serve, streamed (stream: true)", () => {
  it("sends each query's rationale as it is generated, then the response, then [DONE]", async () => {
    const { response, events } = await streamed({ side: "query", input: texts, encoding_format: "float" });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    expect(events.at(-1)).toBe("[DONE]");
    const all = parsed(events);
    const final = all.at(-1) as EmbeddingsResponse;
    expect(final.object).toBe("list");
    const deltas = all.slice(0, -1) as RationaleDelta[];
    expect(deltas.every((d) => d.object === "embedding.rationale.delta")).toBe(true);
    expect(deltas.length).toBeGreaterThan(texts.length);
    const local = await model.embedQueries(texts.map((text) => ({ text })));
    local.forEach((q, i) => {
      const mine = deltas.filter((d) => d.index === i);
      expect(mine.map((d) => d.text).join("")).toBe(q.rationale);
      expect(mine.flatMap((d) => d.ids)).toEqual(q.stoppedBy === "emb" ? q.generatedIds.slice(0, -1) : q.generatedIds);
      expect(final.data[i]!.rationale).toBe(q.rationale);
      expect(final.data[i]!.embedding).toEqual(Array.from(q.embedding));
    });
  });

  it("sends documents' response alone (they have no rationale)", async () => {
    const { events } = await streamed({ input: texts });
    expect(events).toHaveLength(2);
    expect((JSON.parse(events[0]!) as EmbeddingsResponse).data).toHaveLength(3);
    expect(events[1]).toBe("[DONE]");
  });

  it("reports a bad item in the stream, with the status and RGE code the unstreamed request would get", async () => {
    const { response, events } = await streamed({ side: "query", input: ["fine", ""] });
    expect(response.status).toBe(200);
    expect(events.at(-1)).toBe("[DONE]");
    const error = parsed(events).at(-1) as StreamedError;
    expect(error.status).toBe(400);
    expect(error.error.code).toBe("RGE_EMPTY_INPUT");
    expect(error.error.param).toBe("input[1]");
  });

  it("answers a request it refuses before any work as a plain HTTP error, not a stream", async () => {
    const { response, events } = await streamed({ side: "query", input: texts, dimensions: 3 });
    expect(response.status).toBe(400);
    expect(events).toEqual([]);
    expect(((await response.json()) as StreamedError).error.code).toBe("unsupported_dimensions");
  });

  it("cancels the rows of a client that leaves mid-stream, and goes on serving", async () => {
    // A model that never ends a rationale, so uncancelled rows would run all 200 steps.
    const { dir } = writeTinyBundle(`${scratch.dir}/endless`, { seed: 11, emb: "never" });
    const endless = await loadRgeModel(dir, { maxNewTokens: 200, cacheSize: 0 });
    const endlessServer = await createRgeServer(endless);
    const endlessUrl = await endlessServer.listen({ host: "127.0.0.1", port: 0 });
    try {
      const controller = new AbortController();
      const response = await fetch(`${endlessUrl}/v1/embeddings`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ stream: true, side: "query", input: texts }),
        signal: controller.signal,
      });
      const reader = response.body!.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream()).getReader();
      await reader.read(); // the first delta: the rows are running
      controller.abort();
      const drain = async () => {
        while (!(await reader.read()).done);
      };
      await expect(drain()).rejects.toThrow(/abort/i);
      await expect.poll(async () => /rge_queue_items 0\b/.test(await (await fetch(`${endlessUrl}/metrics`)).text()), { timeout: 10_000 }).toBe(true);
      // Three rows of 200 tokens would have been fed 600 times in all; cancelled, they stopped long before.
      expect(endless.stats().rows).toBeLessThan(300);
      const after = await fetch(`${endlessUrl}/v1/embeddings`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ input: "still serving" }) });
      expect(after.status).toBe(200);
    } finally {
      await endlessServer.close();
      await endless.dispose();
    }
  });
});

describe("RgeRemoteModel streaming", () => {
  it("streams rationales from the server through onToken and streamQuery, as the model does in process", async () => {
    const remote = await connectRgeModel(url);
    const local = await model.embedQueries(texts.map((text) => ({ text })));
    const seen = new Map<number, string>();
    const results = await remote.embedQueries(texts.map((text) => ({ text })), { onToken: (t, i) => seen.set(i, (seen.get(i) ?? "") + t.text) });
    results.forEach((r, i) => {
      expect(seen.get(i)).toBe(local[i]!.rationale);
      expect(r.rationale).toBe(local[i]!.rationale);
      expect(Array.from(r.embedding)).toEqual(Array.from(local[i]!.embedding));
    });
    const stream = remote.streamQuery({ text: texts[1]! });
    let text = "";
    for await (const token of stream) text += token.text;
    expect(text).toBe((await stream.result).rationale);
    expect(text).toBe(local[1]!.rationale);
  });

  it("rebuilds an error sent in the stream as the typed error the model throws in process", async () => {
    const remote = await connectRgeModel(url);
    await expect(remote.embedQueries([{ text: "fine" }, { text: "" }], { onToken: () => {} })).rejects.toBeInstanceOf(EmptyInputError);
  });
});
