import { checkOptions, definedFields, optionRules, RemoteError, RgeError, type LoadRgeModelOptions, type RationaleToken, type RgeDevice, type RgeDtype, type RgeInput, type RgeModel, type RgeRemoteModel } from "@rge/core";
import type { Callbacks } from "@langchain/core/callbacks/manager";
import { Embeddings, type EmbeddingsParams } from "@langchain/core/embeddings";
import { documentToInput, type RgeDocumentInput } from "../inputs/document-input.js";
import { queryToInput, type RgeQuery } from "../inputs/rge-query.js";
import { describeQuery } from "../rationale/rationale-event.js";
import { RationaleRun } from "../rationale/rationale-run.js";
import { checkEmbeddingsParams } from "./check-params.js";
import { ModelHandle } from "./model-handle.js";
import { rationaleCacheKey, type CachedRationale, type RationaleCache } from "./rationale-cache.js";

/** Settings of {@link RgeEmbeddings}. Only `model` is required. */
export interface RgeEmbeddingsParams extends EmbeddingsParams {
  /**
   * A bundle directory, a hub id (downloaded and converted with `allowNetwork`, loaded from the cache without), the
   * URL of an RGE server (`http://host:8080`, see `rge-serve`), or a loaded `RgeModel` or connected `RgeRemoteModel`
   * (shared; not disposed by this class).
   */
  model: string | RgeModel | RgeRemoteModel;
  /** The server's API key when `model` is a server URL. Default: none. */
  apiKey?: string;
  /** Where to run: "cpu" (default), "cuda", "webgpu" or "auto". Ignored for a loaded model or a server. */
  device?: RgeDevice;
  /** Weight precision: "fp32" (default), "fp16", "q8" or "q4". Ignored for a loaded model or a server. */
  dtype?: RgeDtype;
  /** Write a rationale before embedding a query (default true). Off embeds queries like documents, in one pass. */
  reasoning?: boolean;
  /** Instruction for queries that carry none. Default: the core's retrieval instructions; `null` sends the text alone. */
  queryInstruction?: string | null;
  /** Instruction for documents that carry none. Default: the core's one-word summary prefixes; `null` sends the text alone. */
  documentInstruction?: string | null;
  /** Rationale budget per query, counting `<emb>`. Default: the bundle's (128 for RGE). */
  maxNewTokens?: number;
  /** Inputs per engine batch, and documents per `embedDocuments` chunk. Default 8. */
  batchSize?: number;
  /** Allow a hub download and http(s) images. Default false: nothing touches the network but a server named by `model` (which fetches http(s) images only if its own model allows it). */
  allowNetwork?: boolean;
  /** Keeps rationales and embeddings of queries seen before (e.g. `new InMemoryStore()`). Default: none. */
  rationaleCache?: RationaleCache;
  /** Handlers that hear every rationale, also when the embedder is called outside any chain. */
  callbacks?: Callbacks;
  /** Other options of `loadRgeModel` (threads, image bounds, ...). Ignored for a loaded model; for a server only `maxImageBytes` applies (to local images before they are sent). */
  loadOptions?: LoadRgeModelOptions;
}

/** Per-call options of {@link RgeEmbeddings.embedQueryWithRationale}. */
export interface RgeQueryCallOptions {
  /** Handlers of the calling run; a retriever passes its run's child so rationales nest under it. */
  callbacks?: Callbacks;
  signal?: AbortSignal;
}

/** A query embedding with the rationale behind it. */
export interface RgeQueryResult {
  /** Unit-length embedding. */
  embedding: number[];
  /** The rationale, without `<emb>`; empty when reasoning is off. */
  rationale: string;
  stoppedBy: "emb" | "maxNewTokens" | "noReasoning";
  tokens: { prompt: number; generated: number };
  /** Wall time of the call in milliseconds. */
  ms: number;
  /** True when the rationale came from the rationale cache. */
  cached: boolean;
}

/**
 * LangChain `Embeddings` backed by a local RGE model: `embedQuery` reasons, then embeds; `embedDocuments`
 * embeds documents in one pass each. Both batch in the engine. Both also take images: a query may be
 * `{ text?, image?, instruction? }` or a `HumanMessage`, a document `{ text?, image? }` or a `Document`
 * whose `metadata.image` holds its image. Every rationale reaches callback handlers as the
 * `rge_rationale` custom event, and while it is generated, token by token, as `handleLLMNewToken` on its
 * `rge_rationale` run and the `rge_rationale_token` custom event (`on_llm_stream` in `streamEvents`).
 *
 * Defaults suit a local model: no retries (`maxRetries: 0`; `RgeError`s are never retried, but for a server that
 * cannot be reached or is busy) and at most `batchSize` calls in flight, so concurrent calls fill one engine batch
 * and the CPU is not oversubscribed.
 *
 * Remote mode: with a server URL as `model` the same calls embed through `rge-serve`, with images and rationales,
 * so application code runs unchanged in process or against a server.
 *
 * @example
 * const embeddings = new RgeEmbeddings({ model: "./rge-bundle", callbacks: [new RationaleCallbackHandler({ print: true })] });
 * const vector = await embeddings.embedQuery("Which animal is on the sign?");
 * const withImage = await embeddings.embedQueryWithRationale({ text: "What is this?", image: "./photo.jpg" });
 * console.log(withImage.rationale);
 * const docs = await embeddings.embedDocuments(["A red apple.", { image: "./apple.png" }]);
 * await embeddings.dispose();
 * const remote = new RgeEmbeddings({ model: "http://127.0.0.1:8080", apiKey: process.env.RGE_API_KEY });
 */
export class RgeEmbeddings extends Embeddings {
  static lc_name(): string {
    return "RgeEmbeddings";
  }

  readonly reasoning: boolean;
  readonly batchSize: number;
  readonly maxNewTokens: number | undefined;
  readonly queryInstruction: string | null | undefined;
  readonly documentInstruction: string | null | undefined;
  callbacks: Callbacks | undefined;
  private readonly rationaleCache: RationaleCache | undefined;
  private readonly model: ModelHandle;

  /** Throws `InvalidOptionError` (`RGE_INVALID_OPTION`) naming a param of the wrong type or out of range. */
  constructor(fields: RgeEmbeddingsParams) {
    checkEmbeddingsParams(fields);
    const batchSize = fields.batchSize ?? 8;
    super({
      maxRetries: 0,
      maxConcurrency: batchSize,
      onFailedAttempt: (error: unknown) => {
        // Deterministic failures: retrying cannot help. A server that did not answer, or was busy, may answer later.
        if (error instanceof RgeError && !(error instanceof RemoteError && error.retryable)) throw error;
      },
      ...definedFields({ maxRetries: fields.maxRetries, maxConcurrency: fields.maxConcurrency, onFailedAttempt: fields.onFailedAttempt }),
    });
    this.batchSize = batchSize;
    this.reasoning = fields.reasoning ?? true;
    this.maxNewTokens = fields.maxNewTokens;
    this.queryInstruction = fields.queryInstruction;
    this.documentInstruction = fields.documentInstruction;
    this.rationaleCache = fields.rationaleCache;
    this.callbacks = fields.callbacks;
    this.model = new ModelHandle(
      fields.model,
      { ...fields.loadOptions, batchSize, ...definedFields({ device: fields.device, dtype: fields.dtype, allowNetwork: fields.allowNetwork }) },
      definedFields({ apiKey: fields.apiKey, maxImageBytes: fields.loadOptions?.maxImageBytes }),
    );
  }

  /** Reasons about a query (text, `{ text?, image?, instruction? }`, or a message), then embeds it. */
  override async embedQuery(query: RgeQuery): Promise<number[]> {
    return (await this.embedQueryWithRationale(query)).embedding;
  }

  /** Embeds documents (text, `{ text?, image? }`, or `Document`s with `metadata.image`), batched. */
  override async embedDocuments(documents: RgeDocumentInput[]): Promise<number[][]> {
    if (documents.length === 0) return [];
    const inputs = documents.map((d) => documentToInput(d, this.documentInstruction));
    const model = await this.model.get();
    const chunks: RgeInput[][] = [];
    for (let i = 0; i < inputs.length; i += this.batchSize) chunks.push(inputs.slice(i, i + this.batchSize));
    const embedded = await Promise.all(chunks.map((chunk) => this.caller.call(() => model.embedTargets(chunk))));
    return embedded.flat().map((t) => Array.from(t.embedding));
  }

  /**
   * Embeds a query and returns its rationale, how generation stopped, token counts and timing along
   * with the vector. The rationale is also emitted to callback handlers (see {@link RATIONALE_EVENT}).
   *
   * @example
   * const { embedding, rationale, stoppedBy } = await embeddings.embedQueryWithRationale({ text: "What breed?", image: photoBytes });
   */
  async embedQueryWithRationale(query: RgeQuery, options: RgeQueryCallOptions = {}): Promise<RgeQueryResult> {
    checkOptions(options, "embedQueryWithRationale's options", { signal: optionRules.abortSignal });
    const started = performance.now();
    const input = queryToInput(query, this.queryInstruction);
    const model = await this.model.get();
    const { signal } = options;
    if (!this.reasoning) {
      const q = await this.caller.callWithOptions({ ...definedFields({ signal }) }, () => model.embedQuery(input, { reasoning: false, ...definedFields({ signal }) }));
      return { embedding: Array.from(q.embedding), rationale: "", stoppedBy: "noReasoning", tokens: q.tokens, ms: performance.now() - started, cached: false };
    }
    const maxNewTokens = this.maxNewTokens ?? model.maxNewTokens;
    const key = this.rationaleCache ? await rationaleCacheKey(this.model.id, maxNewTokens, input) : undefined;
    const described = describeQuery(input);
    const run = await RationaleRun.start(JSON.stringify(described), options.callbacks, this.callbacks, { model: this.model.id, maxNewTokens });
    try {
      const hit = key ? (await this.rationaleCache!.mget([key]))[0] : undefined;
      if (hit?.rationale) run.token({ text: hit.rationale, ids: [] });
      const onToken = run.listening ? (piece: RationaleToken) => run.token(piece) : undefined;
      const value = hit ?? (await this.caller.callWithOptions({ ...definedFields({ signal }) }, () => this.generate(model, input, maxNewTokens, signal, onToken)));
      if (key && !hit) await this.rationaleCache!.mset([[key, value]]);
      const result: RgeQueryResult = { ...value, ms: performance.now() - started, cached: hit !== undefined };
      const { embedding: _, ...event } = result;
      await run.end({ ...event, query: described, stoppedBy: value.stoppedBy, hitTokenCap: value.stoppedBy === "maxNewTokens" });
      return result;
    } catch (error) {
      await run.fail(error);
      throw error;
    }
  }

  /** Length of the vectors this embedder returns (loads the model if needed). */
  async dimension(): Promise<number> {
    return (await this.model.get()).dimension;
  }

  /** The underlying model, loaded (or, for a server URL, connected) on first use. */
  getModel(): Promise<RgeModel | RgeRemoteModel> {
    return this.model.get();
  }

  /** Frees the model if this embedder loaded it (a model passed in is left to its owner). */
  dispose(): Promise<void> {
    return this.model.dispose();
  }

  private async generate(model: RgeModel | RgeRemoteModel, input: RgeInput, maxNewTokens: number, signal: AbortSignal | undefined, onToken: ((piece: RationaleToken) => void) | undefined): Promise<CachedRationale> {
    const q = await model.embedQuery(input, { maxNewTokens, ...definedFields({ signal, onToken }) });
    return { embedding: Array.from(q.embedding), rationale: q.rationale, stoppedBy: q.stoppedBy as CachedRationale["stoppedBy"], tokens: q.tokens };
  }
}
