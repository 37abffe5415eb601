// Core's RgeRemoteModel against this server: the two ends of one protocol, so the round trip is tested here.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import {
  AbortedError,
  connectRgeModel,
  DisposedError,
  EmptyInputError,
  ImageDecodeError,
  ImageSourceError,
  InputTooLongError,
  InvalidOptionError,
  loadRgeModel,
  RemoteAuthError,
  RemoteError,
  type RgeInput,
  type RgeModel,
  type RgeRemoteModel,
} from "@rge/core";
import { gradientPng, tempDir, writeTinyBundle } from "@rge/core/testing";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRgeServer } from "./server.js";

const scratch = tempDir();
const API_KEY = "test-key";
let bundle: string;
let model: RgeModel;
let server: FastifyInstance;
let url: string;
let remote: RgeRemoteModel;
let pngPath: string;
let png: Uint8Array;

beforeAll(async () => {
  bundle = writeTinyBundle(join(scratch.dir, "bundle"), { seed: 5 }).dir;
  model = await loadRgeModel(bundle, { maxNewTokens: 12 });
  server = await createRgeServer(model, { apiKey: API_KEY });
  url = await server.listen({ host: "127.0.0.1", port: 0 });
  remote = await connectRgeModel(url, { apiKey: API_KEY });
  png = await gradientPng(56, 42);
  pngPath = join(scratch.dir, "gradient.png");
  writeFileSync(pngPath, png);
});
afterAll(async () => {
  await server?.close();
  await model?.dispose();
  scratch.remove();
});

const error = (promise: Promise<unknown>) => promise.then(() => undefined, (e: unknown) => e);

describe("RgeRemoteModel: the same results as the model in process", () => {
  it("learns the dimension and rationale budget from /v1/models, and takes a URL ending in /v1", async () => {
    expect([remote.dimension, remote.maxNewTokens, remote.modelName]).toEqual([model.dimension, 12, "rge"]);
    expect((await connectRgeModel(`${url}/v1/`, { apiKey: API_KEY })).url).toBe(url);
  });

  it("embeds text queries with their rationale, stop reason, token counts and generated ids", async () => {
    const inputs: RgeInput[] = [{ text: "What is in the picture?" }, { text: "Where is Paris?" }];
    expect(await remote.embedQueries(inputs)).toEqual(await model.embedQueries(inputs));
    expect(await remote.embedQuery(inputs[0]!, { maxNewTokens: 3 })).toEqual(await model.embedQuery(inputs[0]!, { maxNewTokens: 3 }));
    expect(await remote.embedQuery(inputs[1]!, { reasoning: false })).toEqual(await model.embedQuery(inputs[1]!, { reasoning: false }));
  });

  it("sends a path, a file: URL and bytes as data: URLs, and embeds them as the model does the file", async () => {
    const local = await model.embedQuery({ text: "What is this?", image: pngPath });
    for (const image of [pngPath, pathToFileURL(pngPath).href, png, { data: png }]) {
      expect(await remote.embedQuery({ text: "What is this?", image })).toEqual(local);
    }
    expect(await remote.embedTarget({ image: pngPath })).toEqual(await model.embedTarget({ image: pngPath }));
  });

  it("embeds documents, splitting a call by instruction and by maxItemsPerRequest, in order", async () => {
    const inputs: RgeInput[] = [
      { text: "A cat on a mat." },
      { text: "The moon at night.", instruction: null },
      { text: "Bananas are yellow.", instruction: "Summarize:" },
      { text: "Paris is in France.", instruction: "Summarize:" },
      { text: "A red apple." },
      { text: "", image: png },
    ];
    const small = await connectRgeModel(url, { apiKey: API_KEY, maxItemsPerRequest: 1 });
    const local = await model.embedTargets(inputs);
    expect(await remote.embedTargets(inputs)).toEqual(local);
    expect(await small.embedTargets(inputs)).toEqual(local);
    expect(await remote.embedQueries(inputs)).toEqual(await model.embedQueries(inputs));
  });
});

describe("RgeRemoteModel: errors", () => {
  it("rebuilds the server's input errors as the core's typed errors", async () => {
    const empty = await error(remote.embedTargets([{ text: "fine" }, { text: "" }]));
    expect(empty).toBeInstanceOf(EmptyInputError);
    expect(empty).toMatchObject({ code: "RGE_EMPTY_INPUT", message: expect.stringMatching(/^Item 1: /) });
    expect(await error(remote.embedQuery({}))).toBeInstanceOf(EmptyInputError);
    expect(await error(remote.embedTarget({ image: new Uint8Array([1, 2, 3, 4]) }))).toBeInstanceOf(ImageDecodeError);
  });

  it("keeps the data fields of an error, such as InputTooLongError's tokens and limit", async () => {
    const short = await loadRgeModel(bundle, { maxInputTokens: 40 });
    const shortServer = await createRgeServer(short);
    try {
      const client = await connectRgeModel(await shortServer.listen({ host: "127.0.0.1", port: 0 }));
      const text = "word ".repeat(100);
      const [remoteError, localError] = [await error(client.embedTarget({ text })), await error(short.embedTarget({ text }))];
      expect(remoteError).toBeInstanceOf(InputTooLongError);
      expect(remoteError).toMatchObject({ tokens: (localError as InputTooLongError).tokens, limit: 40 });
    } finally {
      await shortServer.close();
      await short.dispose();
    }
  });

  it("reads local images on the client: a missing file fails there, as in process", async () => {
    expect(await error(remote.embedQuery({ image: join(scratch.dir, "missing.png") }))).toBeInstanceOf(ImageSourceError);
  });

  it("refuses a wrong or missing API key with RemoteAuthError", async () => {
    for (const apiKey of ["nope", undefined]) {
      const refused = await error(connectRgeModel(url, apiKey ? { apiKey } : {}));
      expect(refused).toBeInstanceOf(RemoteAuthError);
      expect(refused).toMatchObject({ code: "RGE_REMOTE_AUTH", status: 401, message: expect.stringMatching(/refused the API key.*apiKey/) });
    }
  });

  it("reports a server that does not answer as a retryable RemoteError", async () => {
    const closed = await createRgeServer(model);
    const closedUrl = await closed.listen({ host: "127.0.0.1", port: 0 });
    await closed.close();
    const refused = await error(connectRgeModel(closedUrl));
    expect(refused).toBeInstanceOf(RemoteError);
    expect(refused).toMatchObject({ code: "RGE_REMOTE_FAILED", status: undefined, retryable: true, message: expect.stringMatching(/Cannot reach the RGE server/) });
  });

  it("waits out a full queue (429 with Retry-After), or reports it when told not to retry", async () => {
    const busy = await createRgeServer(model, { maxQueuedItems: 1 });
    try {
      const busyUrl = await busy.listen({ host: "127.0.0.1", port: 0 });
      const [patient, impatient] = [await connectRgeModel(busyUrl), await connectRgeModel(busyUrl, { busyRetries: 0 })];
      const both = await Promise.all([patient.embedQuery({ text: "first" }), patient.embedQuery({ text: "second" })]);
      expect(both.map((q) => q.rationale)).toEqual((await model.embedQueries([{ text: "first" }, { text: "second" }])).map((q) => q.rationale));
      const [, second] = await Promise.allSettled([impatient.embedQuery({ text: "third" }), impatient.embedQuery({ text: "fourth" })]);
      expect((second as PromiseRejectedResult).reason).toMatchObject({ code: "RGE_REMOTE_FAILED", status: 429, serverCode: "queue_full", retryable: true });
    } finally {
      await busy.close();
    }
  });

  it("cancels through the signal with AbortedError, refuses rawUserText, and refuses calls after dispose", async () => {
    const controller = new AbortController();
    controller.abort();
    expect(await error(remote.embedQuery({ text: "x" }, { signal: controller.signal }))).toBeInstanceOf(AbortedError);
    expect(await error(remote.embedTarget({ rawUserText: "x" }))).toBeInstanceOf(InvalidOptionError);
    const disposable = await connectRgeModel(url, { apiKey: API_KEY });
    await disposable.dispose();
    expect(await error(disposable.embedTarget({ text: "x" }))).toBeInstanceOf(DisposedError);
  });
});
