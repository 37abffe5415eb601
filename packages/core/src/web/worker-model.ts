import type { RgeDtype } from "../bundle/dtype.js";
import { EMBED_OPTION_RULES } from "../engine/engine-options.js";
import type {
  EmbedOptions,
  PreparedPrompt,
  QueryEmbedding,
  QueryEmbedOptions,
  RgeModelStats,
  Settled,
  TargetEmbedding,
} from "../engine/model.js";
import type { RgeInput } from "../engine/prepare.js";
import { queryStream, type QueryStream } from "../engine/query-stream.js";
import { DisposedError, WorkerFailedError } from "../errors.js";
import { abortSignal, checkOptions, func } from "../options/option-rules.js";
import type { WebBundleSource } from "./bundle-files.js";
import type { WebLoadRgeModelOptions } from "./load.js";
import { WorkerConnection, type Call, type RequestOptions } from "./worker-connection.js";
import { fromWireError, type MessagePortLike, type WireError, type WorkerMethod, type WorkerModelInfo } from "./worker-protocol.js";

/**
 * An RGE model that runs in a Web Worker, so the page stays responsive while it reasons: the page side of
 * {@link exposeRgeModel}. It has the methods and fields of `RgeModel` with the same arguments, results and typed
 * errors (`instanceof EmptyInputError` holds across the worker boundary); those that are synchronous on `RgeModel`
 * (`stats`, `decode`) return promises here. `onToken`, `onProgress` and `onWarning` run on the page, fed by
 * messages; a `signal` cancels the call in the worker. Concurrent calls are batched in the worker as in process.
 * If the worker dies, pending and later calls reject with `WorkerFailedError`.
 *
 * @example
 * // rge.worker.ts
 * import { exposeRgeModel } from "@rge/core/web";
 * exposeRgeModel();
 *
 * // main.ts (Vite bundles the worker from this URL)
 * import { RgeWorkerModel } from "@rge/core/web";
 * const worker = new Worker(new URL("./rge.worker.ts", import.meta.url), { type: "module" });
 * const model = await RgeWorkerModel.load(worker, "/models/rge-tiny/");
 * const q = await model.embedQuery({ text: "a red car" }, { onToken: (t) => output.append(t.text) });
 * await model.dispose();
 * worker.terminate(); // the worker is the app's: dispose() frees only the model in it
 */
export class RgeWorkerModel {
  /** Length of every embedding this model returns. */
  readonly dimension: number;
  /** The execution provider in use in the worker ("wasm" or "webgpu"). */
  readonly device: string;
  /** Why that provider (see `RgeModel.deviceReason`). */
  readonly deviceReason: string;
  /** The KV cache stays on the GPU between decode steps (see `RgeModel.kvCacheOnDevice`). */
  readonly kvCacheOnDevice: boolean;
  readonly dtype: RgeDtype;
  readonly maxNewTokens: number;
  private disposing: Promise<void> | undefined;

  private constructor(
    private readonly connection: WorkerConnection,
    /** The id of the load request, which names the model in the worker. */
    private readonly model: number,
    info: WorkerModelInfo,
  ) {
    this.dimension = info.dimension;
    this.device = info.device;
    this.deviceReason = info.deviceReason;
    this.kvCacheOnDevice = info.kvCacheOnDevice;
    this.dtype = info.dtype;
    this.maxNewTokens = info.maxNewTokens;
  }

  /**
   * Loads a bundle in a worker that called {@link exposeRgeModel}; takes the options of `loadRgeModel` from
   * `@rge/core/web`. A relative bundle URL (and `wasmPaths`) is resolved against the page, as it would be in
   * process, not against the worker's script. Several models may share one worker. Rejects with the error the
   * load failed with in the worker (`BundleNotFoundError`, ...), or `WorkerFailedError` if the worker dies.
   *
   * @example
   * const model = await RgeWorkerModel.load(worker, "/models/rge-tiny/", { onProgress: (p) => bar.update(p.loaded / (p.total ?? 1)) });
   */
  static async load(worker: Worker | MessagePortLike, source: WebBundleSource, options: WebLoadRgeModelOptions = {}): Promise<RgeWorkerModel> {
    checkOptions(options, "loadRgeModel's options", { onProgress: func, onWarning: func, signal: abortSignal });
    const { onProgress, onWarning, signal, ...rest } = options;
    const connection = WorkerConnection.of(worker);
    const wasmPaths = typeof rest.wasmPaths === "string" ? { wasmPaths: againstPage(rest.wasmPaths) } : {};
    const call = connection.request(
      (id) => ({ kind: "load", id, source: sourceForWorker(source), options: { ...rest, ...wasmPaths }, progress: onProgress !== undefined }),
      { signal, ...(onProgress ? { onProgress } : {}), onWarning: onWarning ?? ((message) => console.warn(message)) },
    );
    return new RgeWorkerModel(connection, call.id, (await call.result) as WorkerModelInfo);
  }

  /**
   * Reasons about one query in the worker, then embeds it (see `RgeModel.embedQuery`); concurrent calls share batches
   * there. `onToken` runs on the page; aborting `signal` rejects at once and stops the query in the worker.
   *
   * @example
   * const controller = new AbortController();
   * stopButton.onclick = () => controller.abort();
   * const q = await model.embedQuery({ text: "a red car", image: file }, { signal: controller.signal, onToken: (t) => output.append(t.text) });
   */
  embedQuery(input: RgeInput, options: QueryEmbedOptions = {}): Promise<QueryEmbedding> {
    return this.query("embedQuery", inputForWorker(input), options) as Promise<QueryEmbedding>;
  }

  /**
   * Like {@link embedQuery}, with the rationale as an async iterable of its pieces while it is generated.
   *
   * @example
   * const stream = model.streamQuery({ text: "What is in the picture?", image: file });
   * for await (const token of stream) output.append(token.text);
   * const { embedding } = await stream.result;
   */
  streamQuery(input: RgeInput, options: Omit<QueryEmbedOptions, "onToken"> = {}): QueryStream {
    return queryStream((onToken) => this.embedQuery(input, { ...options, onToken }));
  }

  /** Embeds queries, batched in the worker. Rejects with the first failing item's error. */
  embedQueries(inputs: readonly RgeInput[], options: QueryEmbedOptions = {}): Promise<QueryEmbedding[]> {
    return this.query("embedQueries", inputs.map(inputForWorker), options) as Promise<QueryEmbedding[]>;
  }

  /** Like {@link embedQueries}, but one bad item only fails its own slot. */
  embedQueriesSettled(inputs: readonly RgeInput[], options: QueryEmbedOptions = {}): Promise<Settled<QueryEmbedding>[]> {
    return this.query("embedQueriesSettled", inputs.map(inputForWorker), options) as Promise<Settled<QueryEmbedding>[]>;
  }

  /** Embeds one document in the worker (one forward pass). */
  embedTarget(input: RgeInput, options: EmbedOptions = {}): Promise<TargetEmbedding> {
    return this.target("embedTarget", inputForWorker(input), options) as Promise<TargetEmbedding>;
  }

  /** Embeds documents, batched in the worker. Rejects with the first failing item's error. */
  embedTargets(inputs: readonly RgeInput[], options: EmbedOptions = {}): Promise<TargetEmbedding[]> {
    return this.target("embedTargets", inputs.map(inputForWorker), options) as Promise<TargetEmbedding[]>;
  }

  /** Like {@link embedTargets}, but one bad item only fails its own slot. */
  embedTargetsSettled(inputs: readonly RgeInput[], options: EmbedOptions = {}): Promise<Settled<TargetEmbedding>[]> {
    return this.target("embedTargetsSettled", inputs.map(inputForWorker), options) as Promise<Settled<TargetEmbedding>[]>;
  }

  /** The prompt the model sees for an input, without running the model (see `RgeModel.preparePrompt`). */
  preparePrompt(input: RgeInput, options: { role?: "query" | "target"; reasoning?: boolean } = {}): Promise<PreparedPrompt> {
    const { role, reasoning } = options;
    return this.call("preparePrompt", inputForWorker(input), { ...(role !== undefined ? { role } : {}), ...(reasoning !== undefined ? { reasoning } : {}) }) as Promise<PreparedPrompt>;
  }

  /** Counters of the engine's work in the worker (see `RgeModel.stats`). */
  stats(): Promise<RgeModelStats> {
    return this.call("stats", undefined, {}) as Promise<RgeModelStats>;
  }

  /** Token ids → text, special tokens kept. */
  decode(ids: readonly number[]): Promise<string> {
    return this.call("decode", ids, {}) as Promise<string>;
  }

  /**
   * Frees the model in the worker: waits for the batch in flight there, and calls still queued reject with
   * `DisposedError`, as do later ones. The worker itself keeps running (it may hold other models); end it with
   * `worker.terminate()` when the app no longer needs it.
   */
  dispose(): Promise<void> {
    this.disposing ??= this.connection.request((id) => ({ kind: "dispose", id, model: this.model })).result.then(
      () => undefined,
      (error: unknown) => {
        if (!(error instanceof WorkerFailedError)) throw error; // a dead worker holds no model to free
      },
    );
    return this.disposing;
  }

  /**
   * A query call: options checked here as `RgeModel` checks them, `onToken` kept here. If `onToken` throws, the
   * call fails with that error as in process (and stops in the worker); for a settled call only that item does.
   */
  private query(method: WorkerMethod, input: unknown, options: QueryEmbedOptions): Promise<unknown> {
    if (this.disposing) return Promise.reject(new DisposedError());
    try {
      checkOptions(options, "embedQuery's options", EMBED_OPTION_RULES);
    } catch (error) {
      return Promise.reject(error);
    }
    const { onToken, reasoning, maxNewTokens, signal } = options;
    const wire = { ...(reasoning !== undefined ? { reasoning } : {}), ...(maxNewTokens !== undefined ? { maxNewTokens } : {}) };
    if (!onToken) return this.send(method, input, wire, { signal }).result;
    const settled = method === "embedQueriesSettled";
    const failed = new Map<number, unknown>();
    const call = this.send(method, input, wire, {
      signal,
      onToken: (token, index) => {
        if (failed.has(index)) return;
        try {
          onToken(token, index);
        } catch (error) {
          failed.set(index, error);
          if (!settled) call.abort(error);
        }
      },
    });
    if (!settled) return call.result;
    return call.result.then((items) => (items as Settled<unknown>[]).map((item, i) => (failed.has(i) ? { status: "rejected", reason: failed.get(i) } : item)));
  }

  private target(method: WorkerMethod, input: unknown, options: EmbedOptions): Promise<unknown> {
    if (this.disposing) return Promise.reject(new DisposedError());
    try {
      checkOptions(options, "embedTarget's options", { signal: EMBED_OPTION_RULES.signal! });
    } catch (error) {
      return Promise.reject(error);
    }
    return this.send(method, input, {}, { signal: options.signal }).result;
  }

  private call(method: WorkerMethod, input: unknown, options: Record<string, unknown>): Promise<unknown> {
    return this.send(method, input, options, {}).result;
  }

  private send(method: WorkerMethod, input: unknown, options: Record<string, unknown>, request: Omit<RequestOptions, "settled">): Call {
    if (this.disposing) return { id: 0, abort: () => {}, result: Promise.reject(new DisposedError()) };
    const settled = method.endsWith("Settled");
    const call = this.connection.request(
      (id) => ({ kind: "call", id, model: this.model, method, input, options, tokens: request.onToken !== undefined }),
      { ...request, settled },
    );
    return settled ? { ...call, result: call.result.then(reviveSettled) } : call;
  }
}

/** A settled call's rejected items carry their errors as they crossed the boundary; make them errors again. */
function reviveSettled(items: unknown): unknown {
  return (items as Settled<unknown>[]).map((item) =>
    item.status === "rejected" ? { status: "rejected", reason: fromWireError(item.reason as unknown as WireError) } : item,
  );
}

/** An input as the worker must see it: an image URL relative to the page made absolute (the worker would resolve it against its script). */
function inputForWorker(input: RgeInput): RgeInput {
  if (typeof input?.image !== "string") return input;
  const image = againstPage(input.image);
  return image === input.image ? input : { ...input, image };
}

/** A bundle source that can be posted: a URL as its absolute href; handles and files as they are (they clone). */
function sourceForWorker(source: WebBundleSource): unknown {
  if (source instanceof URL) return source.href;
  return typeof source === "string" ? againstPage(source) : source;
}

/** `url` resolved against the page, when there is one and `url` is relative; `data:` URLs are left alone (they can be huge). */
function againstPage(url: string): string {
  const base = globalThis.location?.href;
  if (base === undefined || /^data:/i.test(url)) return url;
  try {
    return new URL(url, base).href;
  } catch {
    return url; // not a URL at all: the worker's loader says so in its error
  }
}
