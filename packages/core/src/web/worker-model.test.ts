import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Worker as NodeWorker } from "node:worker_threads";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import * as errors from "../errors.js";
import { AbortedError, BundleNotFoundError, DisposedError, EmptyInputError, ImageShapeError, InvalidOptionError, RgeError, WorkerFailedError } from "../errors.js";
import { loadRgeModel as loadInProcess, type LoadRgeModelOptions, type RgeModel } from "../engine/rge-model.js";
import type { RationaleToken } from "../engine/rationale-stream.js";
import type { RgeInput } from "../engine/prepare.js";
import { tempDir } from "../testing/temp-dir.js";
import { gradientPng } from "../testing/test-images.js";
import { writeTinyBundle } from "../testing/tiny-model.js";
import type { WebBundleSource } from "./bundle-files.js";
import type { WebLoadRgeModelOptions } from "./load.js";
import { exposeRgeModel } from "./worker-host.js";
import { RgeWorkerModel } from "./worker-model.js";
import { fromWireError, toWireError, type MessagePortLike } from "./worker-protocol.js";

// The page and the worker meet through a real MessageChannel (structured cloning, transfers, `close` events), the
// worker side loading with Node's loader: the protocol is the same as over a Web Worker.

const tmp = tempDir();
const OPTIONS = { batchSize: 4, maxNewTokens: 40, cacheSize: 0 }; // no cache: every comparison runs the model
let bundle: string;
let endless: string; // a bundle whose model never writes <emb>
let inProcess: RgeModel;
let model: RgeWorkerModel;
let worker: MessagePortLike;
let queries: RgeInput[];

type Load = (source: WebBundleSource, options: WebLoadRgeModelOptions) => Promise<RgeModel>;
const nodeLoad: Load = (source, options) => loadInProcess(source as string, options as LoadRgeModelOptions);

/** A worker on one end of a MessageChannel; what it posts and the models it loaded are recorded. */
function startWorker(load: Load = nodeLoad) {
  const { port1, port2 } = new MessageChannel();
  const transferred: ArrayBuffer[] = [];
  const models: RgeModel[] = [];
  const port: MessagePortLike = {
    postMessage: (message, transfer) => {
      transferred.push(...(transfer as ArrayBuffer[]));
      port2.postMessage(message, transfer as never);
    },
    addEventListener: (type, listener) => port2.addEventListener(type, listener as never),
    start: () => port2.start(),
  };
  exposeRgeModel({ port, load: async (source, options) => models[models.push(await load(source, options)) - 1]! });
  const page: MessagePortLike = port1; // a MessagePort is one, as a Worker is
  return { page, close: () => port2.close(), transferred, models };
}

/** A stand-in for a `Worker` on the page: an EventTarget that can also raise the `error` event a dying worker raises. */
class FakeWorker extends EventTarget implements MessagePortLike {
  constructor(private readonly port: MessagePortLike) {
    super();
    port.addEventListener("message", (event) => this.dispatchEvent(new MessageEvent("message", { data: (event as MessageEvent).data })));
    port.start?.();
  }
  postMessage(message: unknown, transfer: Transferable[]): void {
    this.port.postMessage(message, transfer);
  }
  crash(message: string): void {
    this.dispatchEvent(Object.assign(new Event("error"), { message, filename: "rge.worker.js", lineno: 7 }));
  }
}

/** `port` with what the page posts recorded. */
function recording(port: MessagePortLike): { page: MessagePortLike; posted: unknown[] } {
  const posted: unknown[] = [];
  const page: MessagePortLike = { postMessage: (m, t) => (posted.push(m), port.postMessage(m, t)), addEventListener: port.addEventListener.bind(port), start: port.start!.bind(port) };
  return { page, posted };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const outcome = (p: Promise<unknown>) => p.then((value) => ({ value }), (error: unknown) => ({ error }));

beforeAll(async () => {
  bundle = writeTinyBundle(`${tmp.dir}/tiny`, { seed: 11, embStrength: 1.2 }).dir; // rationales of 14 to 40 tokens
  endless = writeTinyBundle(`${tmp.dir}/endless`, { seed: 3, emb: "never" }).dir;
  inProcess = await loadInProcess(bundle, OPTIONS);
  worker = startWorker().page;
  model = await RgeWorkerModel.load(worker, bundle, OPTIONS);
  queries = [
    { text: "a red car" },
    { text: "where is the nearest bakery that sells sourdough" },
    { text: "What is in the image?", image: await gradientPng(64, 48) },
    { text: "dog", instruction: null },
    { image: await gradientPng(30, 90, 17) },
    { text: "sky at night over the sea", instruction: "Answer the question:" },
  ];
});

afterAll(async () => {
  await Promise.all([model.dispose(), inProcess.dispose()]);
  tmp.remove();
});

describe("RgeWorkerModel results", () => {
  // Each test runs the same calls on both models, in the same order, so their batches and caches match.
  it("mirrors the loaded model's fields", () => {
    expect({ ...model }).toMatchObject({
      dimension: inProcess.dimension,
      device: inProcess.device,
      deviceReason: inProcess.deviceReason,
      kvCacheOnDevice: false,
      dtype: inProcess.dtype,
      maxNewTokens: 40,
    });
  });

  it("gives exactly the in-process results: embeddings, rationales, generated ids, tokens", async () => {
    const expected = await inProcess.embedQueries(queries);
    const actual = await model.embedQueries(queries);
    expect(actual).toEqual(expected);
    expect(actual.every((q) => q.embedding instanceof Float32Array && q.embedding.length === model.dimension)).toBe(true);
    // Batched with rows of several lengths, so the comparison covers continuous batching.
    expect(new Set(actual.map((q) => q.tokens.generated)).size).toBeGreaterThan(2);
    expect(await model.embedTargets(queries)).toEqual(await inProcess.embedTargets(queries));
    expect(await model.embedQuery(queries[2]!, { reasoning: false })).toEqual(await inProcess.embedQuery(queries[2]!, { reasoning: false }));
    expect(await model.embedTarget({ text: "a document" })).toEqual(await inProcess.embedTarget({ text: "a document" }));
  });

  it("passes images as Uint8Array, ArrayBuffer, Blob and { data } by structured clone", async () => {
    const png = await gradientPng(56, 56, 99);
    const images = [png, png.slice().buffer, new Blob([png as Uint8Array<ArrayBuffer>]), { data: png }];
    const actual = await model.embedTargets(images.map((image) => ({ image })));
    const expected = await inProcess.embedTargets(images.map((image) => ({ image })));
    expect(actual).toEqual(expected);
    expect(actual[1]).toEqual(actual[0]);
  });

  it("transfers the embeddings' buffers rather than copying them", async () => {
    const { page, transferred } = startWorker();
    const other = await RgeWorkerModel.load(page, bundle, OPTIONS);
    const results = await other.embedTargets([{ text: "one" }, { text: "two" }]);
    expect(transferred).toHaveLength(2);
    expect(transferred.every((b) => b.byteLength === 0)).toBe(true); // detached in the worker: moved, not copied
    expect(results.map((r) => r.embedding.byteLength)).toEqual([model.dimension * 4, model.dimension * 4]);
    await other.dispose();
  });

  it("answers preparePrompt, decode and stats as promises of the in-process answers", async () => {
    const prompt = await model.preparePrompt(queries[2]!, { role: "target" });
    expect(prompt).toEqual(await inProcess.preparePrompt(queries[2]!, { role: "target" }));
    expect(await model.decode(prompt.ids)).toBe(inProcess.decode(prompt.ids));
    expect(await model.stats()).toMatchObject({ waiting: 0, batchSize: 4, passes: inProcess.stats().passes, rows: inProcess.stats().rows });
  });
});

describe("RgeWorkerModel token streaming", () => {
  it("streams each query's tokens in order on the page; they join to its rationale before it resolves", async () => {
    const seen = queries.map(() => [] as RationaleToken[]);
    const streamed = await Promise.all(
      queries.map((q, i) =>
        model
          .embedQuery(q, {
            onToken: (token, index) => {
              expect(index).toBe(0);
              seen[i]!.push(token);
            },
          })
          .then((r) => ({ r, piecesAtResolve: seen[i]!.length })),
      ),
    );
    const expected = await Promise.all(queries.map((q) => inProcess.embedQuery(q)));
    streamed.forEach(({ r, piecesAtResolve }, i) => {
      expect(r).toEqual(expected[i]);
      expect(seen[i]!.length).toBe(piecesAtResolve);
      expect(seen[i]!.map((t) => t.text).join("")).toBe(r.rationale);
      expect(seen[i]!.flatMap((t) => t.ids)).toEqual(r.stoppedBy === "emb" ? r.generatedIds.slice(0, -1) : r.generatedIds);
    });
  });

  it("tells embedQueries' tokens by the input's index", async () => {
    const seen = queries.map(() => [] as string[]);
    const results = await model.embedQueries(queries, { onToken: (token, index) => seen[index]!.push(token.text) });
    results.forEach((r, i) => expect(seen[i]!.join("")).toBe(r.rationale));
    expect(seen.every((s) => s.length > 0)).toBe(true);
  });

  it("streamQuery yields the rationale's pieces, then resolves the embedding", async () => {
    const stream = model.streamQuery(queries[1]!);
    const pieces: string[] = [];
    for await (const token of stream) pieces.push(token.text);
    const result = await stream.result;
    expect(result).toEqual(await inProcess.embedQuery(queries[1]!));
    expect(pieces.length).toBeGreaterThan(1);
    expect(pieces.join("")).toBe(result.rationale);
  });

  it("fails the call whose onToken throws, as in process, and only that slot of a settled call", async () => {
    const boom = new Error("onToken failed");
    await expect(model.embedQuery(queries[0]!, { onToken: () => { throw boom; } })).rejects.toBe(boom);
    const settled = await model.embedQueriesSettled(queries.slice(0, 2), { onToken: (_, index) => { if (index === 1) throw boom; } });
    expect(settled[0]!.status).toBe("fulfilled");
    expect(settled[1]).toEqual({ status: "rejected", reason: boom });
  });
});

describe("RgeWorkerModel batching", () => {
  it("batches concurrent calls in the worker: fewer passes than one by one, the in-process results", async () => {
    const passes = async () => (await model.stats()).passes;
    const start = await passes();
    const together = await Promise.all(queries.map((q) => model.embedQuery(q)));
    const batched = (await passes()) - start;
    for (const q of queries) await model.embedQuery(q);
    const alone = (await passes()) - start - batched;
    expect(batched).toBeLessThan(alone * 0.6);
    expect(together).toEqual(await Promise.all(queries.map((q) => inProcess.embedQuery(q))));
  });

  it("posts the calls of one turn of the page's event loop as one packet", async () => {
    const { page, posted } = recording(startWorker().page);
    const other = await RgeWorkerModel.load(page, bundle, OPTIONS);
    posted.length = 0;
    await Promise.all([...queries.map((q) => other.embedQuery(q)), other.embedTargets(queries), other.stats()]);
    expect(posted).toHaveLength(1);
    expect((posted[0] as { messages: { method: string }[] }).messages.map((m) => m.method)).toEqual([...queries.map(() => "embedQuery"), "embedTargets", "stats"]);
    await other.dispose();
  });
});

describe("RgeWorkerModel errors", () => {
  it("rejects an empty input with EmptyInputError (instanceof, code, message) and keeps working", async () => {
    const expected = (await outcome(inProcess.embedQuery({}))) as { error: EmptyInputError };
    const { error } = (await outcome(model.embedQuery({}))) as { error: EmptyInputError };
    expect(error).toBeInstanceOf(EmptyInputError);
    expect(error).toBeInstanceOf(RgeError);
    expect({ name: error.name, code: error.code, message: error.message }).toEqual({ name: "EmptyInputError", code: "RGE_EMPTY_INPUT", message: expected.error.message });
    expect((await model.embedQuery(queries[0]!)).embedding).toEqual((await inProcess.embedQuery(queries[0]!)).embedding);
  });

  it("rebuilds an error's own fields (ImageShapeError's width and height)", async () => {
    const tiny = { image: await gradientPng(10, 12) };
    const { error } = (await outcome(model.embedTarget(tiny))) as { error: ImageShapeError };
    const expected = (await outcome(inProcess.embedTarget(tiny))) as { error: ImageShapeError };
    expect(error).toBeInstanceOf(ImageShapeError);
    expect({ width: error.width, height: error.height, message: error.message }).toEqual({ width: 10, height: 12, message: expected.error.message });
  });

  it("gives settled calls a typed reason per failed slot", async () => {
    const [ok, bad] = await model.embedQueriesSettled([queries[0]!, { text: "" }]);
    expect(ok!.status).toBe("fulfilled");
    expect(bad!.status === "rejected" && bad!.reason).toBeInstanceOf(EmptyInputError);
    const targets = await model.embedTargetsSettled([{}, { text: "doc" }]);
    expect(targets[0]!.status === "rejected" && targets[0]!.reason).toBeInstanceOf(EmptyInputError);
    expect(targets[1]).toEqual({ status: "fulfilled", value: await inProcess.embedTarget({ text: "doc" }) });
  });

  it("checks options on the page as RgeModel does", async () => {
    await expect(model.embedQuery(queries[0]!, { onToken: "no" as never })).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(model.embedTarget(queries[0]!, { signal: {} as never })).rejects.toThrow(/signal must be an AbortSignal/);
    await expect(model.embedQuery(queries[0]!, { maxNewTokens: 0 })).rejects.toBeInstanceOf(InvalidOptionError); // checked in the worker
  });

  it("rejects an input that cannot be cloned with InvalidOptionError, and the calls sent with it go through", async () => {
    const [bad, good] = await Promise.all([outcome(model.embedTarget({ text: "x", image: (() => 1) as never })), model.embedTarget({ text: "doc" })]);
    expect((bad as { error: Error }).error).toBeInstanceOf(InvalidOptionError);
    expect((bad as { error: Error }).error.message).toMatch(/could not be sent to the worker/);
    expect(good).toEqual(await inProcess.embedTarget({ text: "doc" }));
  });

  it("rejects load with the worker's typed error for a bundle that is not there", async () => {
    const where = `${tmp.dir}/no-such-bundle`;
    const expected = (await outcome(loadInProcess(where))) as { error: Error };
    const { error } = (await outcome(RgeWorkerModel.load(worker, where))) as { error: BundleNotFoundError };
    expect(error).toBeInstanceOf(BundleNotFoundError);
    expect(error.code).toBe("RGE_BUNDLE_NOT_FOUND");
    expect(error.message).toBe(expected.error.message);
    expect((await model.embedTarget({ text: "still here" })).embedding.length).toBe(model.dimension); // the worker lives on
  });
});

describe("RgeWorkerModel cancelling", () => {
  let long: RgeWorkerModel;
  beforeAll(async () => void (long = await RgeWorkerModel.load(worker, endless, { cacheSize: 0 }))); // a second model in the same worker
  afterAll(() => long.dispose());

  it("aborts a long generation at once with AbortedError, and the worker stops spending passes on it", async () => {
    const before = (await long.stats()).passes;
    const controller = new AbortController();
    let tokens = 0;
    let third!: () => void;
    const thirdToken = new Promise<void>((r) => (third = r));
    const call = long.embedQuery({ text: "think for a long time" }, { maxNewTokens: 200, signal: controller.signal, onToken: () => ++tokens === 3 && third() });
    await thirdToken;
    controller.abort(new Error("user left"));
    // Rejected before any task could run: the page does not wait for the worker.
    const first = await Promise.race([outcome(call), sleep(0).then(() => "still pending")]);
    expect((first as { error: Error }).error).toBeInstanceOf(AbortedError);
    expect(((first as { error: Error }).error.cause as Error).message).toBe("user left");
    let spent = -1;
    for (let settled = false; !settled; ) {
      await sleep(50);
      const now = (await long.stats()).passes - before;
      settled = now === spent;
      spent = now;
    }
    expect(spent).toBeLessThan(30); // 200 passes without the abort; the model never writes <emb>
    expect(tokens).toBeLessThan(30);
    expect((await long.embedQuery({ text: "short" }, { maxNewTokens: 3 })).stoppedBy).toBe("maxNewTokens");
  });

  it("rejects a call whose signal is already aborted without running it", async () => {
    const before = await long.stats();
    await expect(long.embedQuery({ text: "x" }, { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(AbortedError);
    expect(await long.stats()).toEqual(before);
  });

  it("resolves a settled call that is aborted with AbortedError for its unfinished items, as in process", async () => {
    const controller = new AbortController();
    let first!: () => void;
    const firstToken = new Promise<void>((r) => (first = r));
    const inputs = [{ text: "one" }, { text: "two" }];
    const settled = long.embedQueriesSettled(inputs, { maxNewTokens: 200, signal: controller.signal, onToken: () => first() });
    await firstToken;
    controller.abort();
    const items = await settled;
    expect(items.map((i) => i.status === "rejected" && i.reason)).toEqual([expect.any(AbortedError), expect.any(AbortedError)]);
    const early = await long.embedTargetsSettled(inputs, { signal: AbortSignal.abort() });
    expect(early.map((i) => i.status === "rejected" && i.reason instanceof AbortedError)).toEqual([true, true]);
  });

  it("cancels a load in the worker through its signal", async () => {
    let loadSignal: AbortSignal | undefined;
    const { page } = startWorker((_, options) => {
      loadSignal = options.signal;
      return new Promise((_resolve, reject) => options.signal!.addEventListener("abort", () => reject(new AbortedError())));
    });
    const controller = new AbortController();
    const loading = RgeWorkerModel.load(page, bundle, { signal: controller.signal });
    await sleep(20);
    controller.abort();
    await expect(loading).rejects.toBeInstanceOf(AbortedError);
    await vi.waitFor(() => expect(loadSignal?.aborted).toBe(true));
  });
});

describe("RgeWorkerModel load callbacks", () => {
  it("runs onProgress and onWarning on the page, fed by the worker", async () => {
    const { page } = startWorker(async (source, options) => {
      options.onProgress?.({ file: "onnx/decoder_model_merged.onnx", loaded: 5, total: 10, cached: false });
      options.onWarning?.("RGE: device fallback");
      return nodeLoad(source, options);
    });
    const progress: unknown[] = [];
    const warnings: string[] = [];
    const other = await RgeWorkerModel.load(page, bundle, { onProgress: (p) => progress.push(p), onWarning: (m) => warnings.push(m) });
    expect(progress).toEqual([{ file: "onnx/decoder_model_merged.onnx", loaded: 5, total: 10, cached: false }]);
    expect(warnings).toEqual(["RGE: device fallback"]);
    await other.dispose();
  });

  it("warns on the page's console when no onWarning is given", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const { page } = startWorker(async (source, options) => (options.onWarning!("RGE: careful"), nodeLoad(source, options)));
    const other = await RgeWorkerModel.load(page, bundle);
    expect(warn).toHaveBeenCalledWith("RGE: careful");
    warn.mockRestore();
    await other.dispose();
  });

  it("resolves relative bundle and image URLs against the page, not the worker's script", async () => {
    const { page, posted } = recording(startWorker().page);
    const other = await RgeWorkerModel.load(page, bundle, OPTIONS);
    vi.stubGlobal("location", { href: "https://app.example/app/index.html" });
    try {
      await outcome(RgeWorkerModel.load(page, "models/tiny"));
      const failed = await outcome(other.embedQuery({ text: "x", image: "../img/cat.png" }));
      const sent = JSON.stringify(posted);
      expect(sent).toContain('"source":"https://app.example/app/models/tiny"');
      expect(sent).toContain('"image":"https://app.example/img/cat.png"');
      expect((failed as { error: Error }).error).toBeInstanceOf(RgeError); // Node's loader will not fetch it
    } finally {
      vi.unstubAllGlobals();
      await other.dispose();
    }
  });
});

describe("RgeWorkerModel lifetime", () => {
  it("refuses a second exposeRgeModel on the same port, which would answer every request twice", () => {
    const { port1 } = new MessageChannel();
    exposeRgeModel({ port: port1, load: nodeLoad });
    expect(() => exposeRgeModel({ port: port1, load: nodeLoad })).toThrow(InvalidOptionError);
    port1.close();
  });

  it("calls queueMicrotask as a plain function, as browsers require", { timeout: 10_000 }, async () => {
    // Browsers throw "Illegal invocation" for queueMicrotask called on another object; Node does not care.
    const real = globalThis.queueMicrotask;
    vi.stubGlobal("queueMicrotask", function (this: unknown, callback: () => void) {
      if (this !== undefined && this !== globalThis) throw new TypeError("Illegal invocation");
      real(callback);
    });
    try {
      const other = await RgeWorkerModel.load(startWorker().page, bundle, OPTIONS);
      expect((await other.embedTarget({ text: "doc" })).embedding.length).toBe(model.dimension);
      await other.dispose();
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it("refuses exposeRgeModel without a port outside a worker", () => {
    expect(() => exposeRgeModel()).toThrow(/runs in a Web Worker's script/);
  });

  it("dispose frees the model in the worker; calls after it reject with DisposedError", async () => {
    const { page, models } = startWorker();
    const other = await RgeWorkerModel.load(page, bundle, OPTIONS);
    const queued = outcome(other.embedQuery(queries[0]!)); // sent in the same packet as dispose, queued behind it
    await other.dispose();
    expect(((await queued) as { error: Error }).error).toBeInstanceOf(DisposedError);
    await expect(other.embedQuery(queries[0]!)).rejects.toBeInstanceOf(DisposedError);
    await expect(other.embedTargets([queries[0]!])).rejects.toBeInstanceOf(DisposedError);
    await expect(other.stats()).rejects.toBeInstanceOf(DisposedError);
    await expect(models[0]!.embedTarget(queries[0]!)).rejects.toBeInstanceOf(DisposedError); // the worker's own model
    await expect(other.dispose()).resolves.toBeUndefined();
  });

  it("rejects pending and later calls with WorkerFailedError when the port closes, and frees the worker's models", async () => {
    const { page, close, models } = startWorker();
    const other = await RgeWorkerModel.load(page, endless, { cacheSize: 0 });
    const pending = outcome(other.embedQuery({ text: "long" }, { maxNewTokens: 200 }));
    await sleep(20);
    close();
    const { error } = (await pending) as { error: WorkerFailedError };
    expect(error).toBeInstanceOf(WorkerFailedError);
    expect(error.code).toBe("RGE_WORKER_FAILED");
    expect(error.message).toMatch(/port closed.*start a new Worker/);
    await expect(other.embedTarget({ text: "x" })).rejects.toBeInstanceOf(WorkerFailedError);
    await vi.waitFor(() => expect(models[0]!.embedTarget({ text: "x" })).rejects.toBeInstanceOf(DisposedError));
    await expect(other.dispose()).resolves.toBeUndefined();
  });

  it("rejects every pending call with WorkerFailedError when the worker raises an error event", async () => {
    const fake = new FakeWorker(startWorker().page);
    const other = await RgeWorkerModel.load(fake, endless, { cacheSize: 0 });
    const pending = [outcome(other.embedQuery({ text: "a" }, { maxNewTokens: 200 })), outcome(other.embedTarget({ text: "b" }))];
    await sleep(20);
    fake.crash("Uncaught RangeError: Array buffer allocation failed");
    for (const { error } of (await Promise.all(pending)) as { error: WorkerFailedError }[]) {
      expect(error).toBeInstanceOf(WorkerFailedError);
      expect(error.message).toContain("Array buffer allocation failed");
      expect(error.message).toContain("rge.worker.js:7");
    }
    await expect(RgeWorkerModel.load(fake, bundle)).rejects.toBeInstanceOf(WorkerFailedError);
  });
});

/**
 * A worker thread running `exposeRgeModel` from the sources (tsx compiles them there), with Node's loader. It throws
 * when it is sent the app message "crash", as a worker does that fails outside a call.
 */
function startThread(): NodeWorker {
  const dir = join(tmp.dir, "thread");
  mkdirSync(dir, { recursive: true });
  const core = join(import.meta.dirname, "..", "..");
  writeFileSync(
    join(dir, "rge.worker.mts"),
    [
      `import { parentPort } from "node:worker_threads";`,
      `import { exposeRgeModel } from ${JSON.stringify(join(core, "src/web/worker-host.ts"))};`,
      `import { loadRgeModel } from ${JSON.stringify(join(core, "src/engine/rge-model.ts"))};`,
      `exposeRgeModel({ port: parentPort, load: loadRgeModel });`,
      `parentPort.on("message", (m) => { if (m === "crash") throw new Error("worker crashed on purpose"); });`,
    ].join("\n"),
  );
  writeFileSync(
    join(dir, "boot.mjs"),
    `import { createRequire } from "node:module";\ncreateRequire(${JSON.stringify(join(core, "package.json"))})("tsx/esm/api").register();\nawait import("./rge.worker.mts");\n`,
  );
  return new NodeWorker(join(dir, "boot.mjs"));
}

/** A Node worker thread seen as a page sees a Worker: message events, an `error` event when it throws, `close` when it exits. */
function threadPort(thread: NodeWorker): MessagePortLike {
  return {
    postMessage: (message, transfer) => thread.postMessage(message, transfer as never),
    addEventListener: (type, listener) => {
      if (type === "message") thread.on("message", (data) => listener(new MessageEvent("message", { data })));
      if (type === "error") thread.on("error", (error) => listener(Object.assign(new Event("error"), { message: error.message })));
      if (type === "close") thread.on("exit", () => listener(new Event("close")));
    },
  };
}

describe("RgeWorkerModel in a worker thread", () => {
  it("embeds across threads exactly as in process, and a crash rejects the pending calls", { timeout: 60_000 }, async () => {
    const thread = startThread();
    try {
      const port = threadPort(thread);
      const threaded = await RgeWorkerModel.load(port, bundle, OPTIONS);
      const tokens: string[] = [];
      const q = await threaded.embedQuery(queries[2]!, { onToken: (t) => tokens.push(t.text) });
      expect(q).toEqual(await inProcess.embedQuery(queries[2]!));
      expect(tokens.join("")).toBe(q.rationale);
      await expect(threaded.embedQuery({ text: " " })).rejects.toBeInstanceOf(EmptyInputError);

      const long = await RgeWorkerModel.load(port, endless, { cacheSize: 0 });
      let started!: () => void;
      const firstToken = new Promise<void>((r) => (started = r));
      const pending = outcome(long.embedQuery({ text: "long" }, { maxNewTokens: 200, onToken: () => started() }));
      await firstToken;
      thread.postMessage("crash"); // an app message: the RGE host leaves it alone, the app's listener throws
      const { error } = (await pending) as { error: WorkerFailedError };
      expect(error).toBeInstanceOf(WorkerFailedError);
      expect(error.message).toContain("worker crashed on purpose");
      await expect(threaded.stats()).rejects.toBeInstanceOf(WorkerFailedError);
    } finally {
      await thread.terminate();
    }
  });
});

describe("worker errors on the wire", () => {
  const roundTrip = (error: unknown) => fromWireError(structuredClone(toWireError(error)));
  const classes = Object.values(errors).filter((v): v is typeof RgeError => typeof v === "function" && v.prototype instanceof RgeError);

  it("rebuilds every error class of errors.ts with its code, message and fields", () => {
    expect(classes.length).toBeGreaterThan(25);
    for (const cls of classes) {
      const original = new (cls as unknown as new (...args: unknown[]) => RgeError)("what went wrong", "a", 7, "c", "d");
      const rebuilt = roundTrip(original);
      expect(rebuilt, cls.name).toBeInstanceOf(cls);
      expect({ ...rebuilt, message: rebuilt.message }).toEqual({ ...original, message: original.message });
      expect(rebuilt.stack).toBe(original.stack);
    }
  });

  it("finds the class by code when a minifier renamed it, falls back to RgeError or the built-in error", () => {
    const wire = { ...toWireError(new EmptyInputError("empty")), name: "e" };
    expect(fromWireError(wire)).toBeInstanceOf(EmptyInputError);
    const unknown = fromWireError({ name: "FutureError", code: "RGE_FUTURE", message: "new", fields: {} });
    expect(unknown).toBeInstanceOf(RgeError);
    expect((unknown as RgeError).code).toBe("RGE_FUTURE");
    expect(roundTrip(new TypeError("bad"))).toBeInstanceOf(TypeError);
    expect(roundTrip("a string")).toMatchObject({ name: "Error", message: "a string" });
    const withCause = roundTrip(new AbortedError(undefined, { cause: new RangeError("inner") }));
    expect(withCause.cause).toBeInstanceOf(RangeError);
  });
});
