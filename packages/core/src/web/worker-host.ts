import type { RgeModel, Settled } from "../engine/model.js";
import { DisposedError, InvalidOptionError, RgeError } from "../errors.js";
import type { WebBundleSource } from "./bundle-files.js";
import { loadRgeModel, type WebLoadRgeModelOptions } from "./load.js";
import { messagesOf, Outbox, toWireError, type MessagePortLike, type WorkerMethod, type WorkerReply, type WorkerRequest } from "./worker-protocol.js";

/**
 * Options of {@link exposeRgeModel}.
 *
 * @example
 * // In Node, the same protocol over a MessageChannel, with Node's loader (how the tests run it).
 * import { loadRgeModel } from "@rge/core";
 * exposeRgeModel({ port: channel.port2, load: (source, options) => loadRgeModel(String(source), options) });
 */
export interface ExposeRgeModelOptions {
  /** Where the page's requests arrive and replies go. Default: the worker's global scope (`self`). */
  port?: MessagePortLike;
  /** Loads a model for a request. Default: `loadRgeModel` of `@rge/core/web`; tests in Node pass Node's. */
  load?: (source: WebBundleSource, options: WebLoadRgeModelOptions) => Promise<RgeModel>;
}

/** How the worker runs each method: `input` and `options` as the page sent them, with the worker's callbacks added. */
const METHODS: Record<WorkerMethod, (model: RgeModel, input: never, options: never) => Promise<unknown> | unknown> = {
  embedQuery: (m, input, options) => m.embedQuery(input, options),
  embedQueries: (m, inputs, options) => m.embedQueries(inputs, options),
  embedQueriesSettled: (m, inputs, options) => m.embedQueriesSettled(inputs, options),
  embedTarget: (m, input, options) => m.embedTarget(input, options),
  embedTargets: (m, inputs, options) => m.embedTargets(inputs, options),
  embedTargetsSettled: (m, inputs, options) => m.embedTargetsSettled(inputs, options),
  preparePrompt: (m, input, options) => m.preparePrompt(input, options),
  stats: (m) => m.stats(),
  decode: (m, ids) => m.decode(ids),
};

/**
 * Serves RGE models to the page from inside a Web Worker: the worker side of {@link RgeWorkerModel}. Call it once
 * in the worker's script; each `RgeWorkerModel.load` on the page then loads a model here, and its calls run here,
 * batched together as they would be in process. When the port closes, the models are disposed.
 *
 * @example
 * // rge.worker.ts
 * import { exposeRgeModel } from "@rge/core/web";
 * exposeRgeModel();
 *
 * // main.ts (Vite)
 * import { RgeWorkerModel } from "@rge/core/web";
 * const worker = new Worker(new URL("./rge.worker.ts", import.meta.url), { type: "module" });
 * const model = await RgeWorkerModel.load(worker, "/models/rge-tiny/");
 */
export function exposeRgeModel(options: ExposeRgeModelOptions = {}): void {
  const port = options.port ?? workerScope();
  // Two hosts on one port would both answer every request, and load every model twice.
  if (EXPOSED.has(port)) throw new InvalidOptionError("exposeRgeModel() was already called for this port; call it once per worker.");
  EXPOSED.add(port);
  new WorkerHost(port, options.load ?? loadRgeModel);
}

const EXPOSED = new WeakSet<MessagePortLike>();

function workerScope(): MessagePortLike {
  const scope = globalThis as unknown as { WorkerGlobalScope?: new () => unknown };
  if (scope.WorkerGlobalScope === undefined || !(globalThis instanceof scope.WorkerGlobalScope)) {
    throw new InvalidOptionError("exposeRgeModel() without a port runs in a Web Worker's script; here there is no worker scope. Pass { port } (a MessagePort), or call it in the worker.");
  }
  return globalThis as unknown as MessagePortLike;
}

class WorkerHost {
  private readonly models = new Map<number, RgeModel>();
  /** Calls and loads in progress, by id, so that a `cancel` can abort them. */
  private readonly running = new Map<number, AbortController>();
  private readonly outbox: Outbox<WorkerReply>;

  constructor(
    port: MessagePortLike,
    private readonly load: NonNullable<ExposeRgeModelOptions["load"]>,
  ) {
    // Replies go out at the end of the current task: tokens of one decode step travel together, without delay.
    this.outbox = new Outbox<WorkerReply>(port, (flush) => queueMicrotask(flush), (reply, error) => {
      if (reply.kind === "result" || reply.kind === "failed") this.fail(reply.id, new RgeError("RGE_INTERNAL", `The worker could not post its reply to the page: ${(error as Error).message}`));
    });
    port.addEventListener("message", (event) => {
      // Every request of a packet starts in this task, so concurrent calls reach the model's queue together.
      for (const request of messagesOf<WorkerRequest>((event as MessageEvent).data) ?? []) this.handle(request);
    });
    port.addEventListener("close", () => this.closeAll());
    port.start?.();
  }

  private handle(request: WorkerRequest): void {
    if (request.kind === "cancel") return this.running.get(request.id)?.abort();
    if (request.kind === "load") return void this.track(request.id, (signal) => this.loadModel(request, signal));
    if (request.kind === "dispose") return void this.track(request.id, () => this.disposeModel(request.model));
    const model = this.models.get(request.model);
    if (!model) return this.fail(request.id, new DisposedError());
    const { id } = request;
    void this.track(id, (signal) => {
      const options = {
        ...request.options,
        signal,
        ...(request.tokens ? { onToken: (token: unknown, index: number) => this.outbox.send({ kind: "token", id, token: token as never, index }) } : {}),
      };
      return METHODS[request.method](model, request.input as never, options as never);
    });
  }

  /** Runs a request with an AbortController a `cancel` reaches, and posts its outcome. */
  private async track(id: number, run: (signal: AbortSignal) => Promise<unknown> | unknown): Promise<void> {
    const controller = new AbortController();
    this.running.set(id, controller);
    try {
      const value = encodeSettled(await run(controller.signal));
      this.outbox.send({ kind: "result", id, value }, embeddingBuffers(value));
    } catch (error) {
      this.fail(id, error);
    } finally {
      this.running.delete(id);
    }
  }

  private async loadModel(request: Extract<WorkerRequest, { kind: "load" }>, signal: AbortSignal): Promise<unknown> {
    const { id } = request;
    const model = await this.load(request.source as WebBundleSource, {
      ...request.options,
      signal,
      onWarning: (message) => this.outbox.send({ kind: "warning", id, message }),
      ...(request.progress ? { onProgress: (progress) => this.outbox.send({ kind: "progress", id, progress }) } : {}),
    });
    // Cancelled while it finished loading: the page has already given up on it, and nothing else could free it.
    if (signal.aborted) {
      await model.dispose();
      return undefined;
    }
    this.models.set(id, model);
    return { dimension: model.dimension, device: model.device, deviceReason: model.deviceReason, kvCacheOnDevice: model.kvCacheOnDevice, dtype: model.dtype, maxNewTokens: model.maxNewTokens };
  }

  private async disposeModel(id: number): Promise<void> {
    const model = this.models.get(id);
    this.models.delete(id);
    await model?.dispose();
  }

  private fail(id: number, error: unknown): void {
    this.outbox.send({ kind: "failed", id, error: toWireError(error) });
  }

  /** The page is gone: nothing will read replies, so stop the work and free the models. */
  private closeAll(): void {
    for (const controller of this.running.values()) controller.abort();
    const models = [...this.models.values()];
    this.models.clear();
    for (const model of models) void model.dispose().catch(() => {});
  }
}

/** The rejected items of a settled call, with their errors in a form that can be posted. */
function encodeSettled(value: unknown): unknown {
  if (!Array.isArray(value)) return value;
  return value.map((item: Settled<unknown> | unknown) => {
    const settled = item as Settled<unknown> | null;
    return settled?.status === "rejected" ? { status: "rejected", reason: toWireError(settled.reason) } : item;
  });
}

/**
 * The buffers of the embeddings in a result, to transfer rather than copy. An embedding that views part of a
 * larger buffer is copied first: transferring would take the whole buffer, which the engine may still use.
 */
function embeddingBuffers(value: unknown): ArrayBuffer[] {
  const buffers: ArrayBuffer[] = [];
  const visit = (item: unknown) => {
    const holder = (item as { status?: string; value?: unknown } | null)?.status === "fulfilled" ? (item as { value: unknown }).value : item;
    const result = holder as { embedding?: unknown } | null;
    if (typeof result !== "object" || result === null || !(result.embedding instanceof Float32Array)) return;
    let embedding = result.embedding;
    if (embedding.byteOffset !== 0 || embedding.byteLength !== embedding.buffer.byteLength || !(embedding.buffer instanceof ArrayBuffer)) {
      embedding = result.embedding = embedding.slice();
    }
    buffers.push(embedding.buffer as ArrayBuffer);
  };
  if (Array.isArray(value)) value.forEach(visit);
  else visit(value);
  return buffers;
}
