import type { RgeInput } from "../engine/prepare.js";
import type { EmbedOptions, QueryEmbedOptions, QueryEmbedding, TargetEmbedding } from "../engine/rge-model.js";
import { EMBED_OPTION_RULES } from "../engine/engine-options.js";
import { DisposedError, InvalidOptionError, RemoteError } from "../errors.js";
import { checkOptions, definedFields, invalidOption, optionRules as rules } from "../options/option-rules.js";
import { queryStream, type QueryStream } from "../engine/query-stream.js";
import type { RationaleToken } from "../engine/rationale-stream.js";
import type { ContentPart, EmbeddingItem, EmbeddingsRequest, EmbeddingsResponse, EmbeddingsStreamEvent, ModelList, ServedModel, StreamedError } from "./embeddings-api.js";
import { errorFromResponse } from "./server-error.js";
import { imageForServer } from "./image-for-server.js";
import { ServerClient } from "./server-client.js";

// The client lives in core, not in @rge/server: the LangChain and LlamaIndex packages already depend on core, it
// needs only the global fetch (no Fastify for an application that merely calls a server), and it reuses core's
// image reading (paths and bytes become data: URLs here) and typed errors.

/** Options of {@link connectRgeModel}. */
export interface ConnectRgeModelOptions {
  /** The server's API key, sent as `Authorization: Bearer <apiKey>`. Default: none (a server started without one). */
  apiKey?: string;
  /** Refuse local images of more bytes than this before sending them. Default 64 MiB (the server's default body limit). */
  maxImageBytes?: number;
  /** Most items in one request; longer calls are split into requests, at most 4 of them in flight. Default 32. */
  maxItemsPerRequest?: number;
  /** How often a request is sent again when the server's queue is full (429), after its `Retry-After`. Default 3. */
  busyRetries?: number;
  /** Cancels connecting. */
  signal?: AbortSignal;
}

const CONNECT_RULES = {
  apiKey: rules.nonEmptyString,
  maxImageBytes: rules.positiveNumber,
  maxItemsPerRequest: rules.positiveInteger,
  busyRetries: rules.integerIn(0, 100),
  signal: rules.abortSignal,
};

/** Requests of one call in flight together: enough to fill the server's batches, few enough not to fill its queue. */
const REQUESTS_IN_FLIGHT = 4;

/** Whether a model reference names a server (`http://` or `https://`) rather than a bundle or a hub id. */
export function isServerUrl(ref: string): boolean {
  return /^https?:\/\//i.test(ref);
}

/**
 * Connects to an RGE server (`rge-serve`, or `createRgeServer` from `@rge/server`) and returns a model that embeds
 * through it, with the same methods and results as a loaded {@link RgeModel}: queries reason on the server and come
 * back with their rationale, images travel with them, and the server's errors arrive as the same typed errors.
 * `url` may end in `/v1`. Throws `RemoteAuthError` for a wrong API key and `RemoteError` when nothing answers.
 *
 * @example
 * const model = await connectRgeModel("http://127.0.0.1:8080", { apiKey: process.env.RGE_API_KEY });
 * const q = await model.embedQuery({ text: "What is in the picture?", image: "./cat.jpg" });
 * console.log(q.rationale, q.embedding.length === model.dimension);
 */
export async function connectRgeModel(url: string, options: ConnectRgeModelOptions = {}): Promise<RgeRemoteModel> {
  checkOptions(options, "connectRgeModel's options", CONNECT_RULES);
  const client = new ServerClient(serverBase(url), options.apiKey, options.busyRetries ?? 3);
  const list = await client.get<ModelList>("/v1/models", options.signal);
  const served = list?.data?.find?.((m) => !m.id.includes(":"));
  if (typeof served?.dimension !== "number" || typeof served.max_new_tokens !== "number") {
    throw new RemoteError(`${client.url} is not an RGE server: its /v1/models lists no model with a dimension and max_new_tokens. Point at \`rge-serve\`.`, client.url, 200, null);
  }
  return new RgeRemoteModel(client, served, options);
}

/**
 * An RGE model served over HTTP: what {@link connectRgeModel} returns. It has the embed methods of `RgeModel`
 * (`embedQuery`, `embedQueries`, `embedTarget`, `embedTargets`), its `dimension` and `maxNewTokens`, and `dispose()`,
 * so integrations take either. Inputs with `rawUserText` cannot be sent (the API has no field for a verbatim turn).
 */
export class RgeRemoteModel {
  /** The server's base URL. */
  readonly url: string;
  /** The model id the server serves (e.g. "rge"). */
  readonly modelName: string;
  /** Length of every embedding. */
  readonly dimension: number;
  /** The server's rationale budget for queries that name none. */
  readonly maxNewTokens: number;
  private readonly maxItems: number;
  private readonly maxImageBytes: number | undefined;
  private disposed = false;

  /** @internal use {@link connectRgeModel} */
  constructor(
    private readonly client: ServerClient,
    served: ServedModel,
    options: Pick<ConnectRgeModelOptions, "maxImageBytes" | "maxItemsPerRequest">,
  ) {
    this.url = client.url;
    this.modelName = served.id;
    this.dimension = served.dimension;
    this.maxNewTokens = served.max_new_tokens;
    this.maxItems = options.maxItemsPerRequest ?? 32;
    this.maxImageBytes = options.maxImageBytes;
  }

  /** Reasons about one query on the server, then embeds it. Concurrent calls are batched there. With `onToken`, the rationale streams (server-sent events). */
  async embedQuery(input: RgeInput, options: QueryEmbedOptions = {}): Promise<QueryEmbedding> {
    return (await this.embedQueries([input], options))[0]!;
  }

  /** Like {@link embedQuery}, with the rationale as an async iterable of its pieces while the server generates it. */
  streamQuery(input: RgeInput, options: Omit<QueryEmbedOptions, "onToken"> = {}): QueryStream {
    return queryStream((onToken) => this.embedQuery(input, { ...options, onToken }));
  }

  /** Embeds queries; rejects with the first failing item's error. */
  async embedQueries(inputs: readonly RgeInput[], options: QueryEmbedOptions = {}): Promise<QueryEmbedding[]> {
    checkOptions(options, "embedQuery's options", EMBED_OPTION_RULES);
    return (await this.embed(inputs, "query", options)).map(toQueryEmbedding);
  }

  /** Embeds one document (one pass on the server). */
  async embedTarget(input: RgeInput, options: EmbedOptions = {}): Promise<TargetEmbedding> {
    return (await this.embedTargets([input], options))[0]!;
  }

  /** Embeds documents; rejects with the first failing item's error. */
  async embedTargets(inputs: readonly RgeInput[], options: EmbedOptions = {}): Promise<TargetEmbedding[]> {
    checkOptions(options, "embedTarget's options", { signal: EMBED_OPTION_RULES.signal! });
    return (await this.embed(inputs, "document", options)).map((item) => ({ embedding: vector(item.embedding), tokens: { prompt: item.usage.prompt_tokens } }));
  }

  /** Later calls reject with `DisposedError`; requests in flight finish. The server and its model keep running. */
  async dispose(): Promise<void> {
    this.disposed = true;
  }

  private async embed(inputs: readonly RgeInput[], side: "query" | "document", options: QueryEmbedOptions): Promise<EmbeddingItem[]> {
    if (this.disposed) throw new DisposedError("This remote RGE model has been disposed; connect again to keep using it.");
    // The first request that fails cancels the call's others: their results would be thrown away.
    const failed = new AbortController();
    const signal = options.signal ? AbortSignal.any([options.signal, failed.signal]) : failed.signal;
    const batches = requestBatches(inputs, this.maxItems);
    const offsets = batches.map((_, i) => batches.slice(0, i).reduce((n, b) => n + b.length, 0));
    const { onToken } = options;
    const stream = onToken !== undefined && side === "query" && options.reasoning !== false;
    const send = async (batch: RgeInput[], at: number): Promise<EmbeddingItem[]> => {
      const instruction = batch[0]!.instruction;
      const body: EmbeddingsRequest = {
        model: this.modelName,
        side,
        encoding_format: "base64",
        input: await Promise.all(batch.map((input) => this.requestItem(input, signal))),
        // The server takes one instruction per request; `null` (the text alone) is its "".
        ...(instruction !== undefined ? { instruction: instruction ?? "" } : {}),
        ...(side === "query" ? definedFields({ reasoning: options.reasoning, max_new_tokens: options.maxNewTokens }) : {}),
        ...(stream ? { stream: true } : {}),
      };
      const response = stream
        ? await this.streamed(body, signal, (token, index) => onToken(token, offsets[at]! + index))
        : await this.client.post<EmbeddingsResponse>("/v1/embeddings", body, signal);
      return itemsOf(response, batch.length, this.url);
    };
    try {
      return (await inPool(batches, REQUESTS_IN_FLIGHT, send)).flat();
    } catch (error) {
      failed.abort();
      throw error;
    }
  }

  /** A request answered with server-sent events: rationale pieces to `onToken` as they come, then the response. */
  private async streamed(body: EmbeddingsRequest, signal: AbortSignal, onToken: (token: RationaleToken, index: number) => void): Promise<EmbeddingsResponse> {
    let response: EmbeddingsResponse | undefined;
    let failure: StreamedError | undefined;
    await this.client.postStream("/v1/embeddings", body, signal, (data) => {
      const event = data as EmbeddingsStreamEvent;
      if ("error" in event) failure = event;
      else if (event.object === "list") response = event;
      else if (event.object === "embedding.rationale.delta") onToken({ text: event.text, ids: event.ids }, event.index);
    });
    if (failure) throw errorFromResponse(this.url, failure.status, failure);
    if (!response) throw new RemoteError(`The RGE server at ${this.url} ended its event stream without a response.`, this.url, 200, null);
    return response;
  }

  private async requestItem(input: RgeInput, signal: AbortSignal): Promise<string | ContentPart[]> {
    if (input.rawUserText !== undefined) {
      throw new InvalidOptionError("rawUserText cannot be sent to an RGE server: its API takes text, one image and an instruction. Use a model loaded in process (loadRgeModel) for verbatim prompts.");
    }
    if (input.image === undefined) return input.text ?? [];
    const url = await imageForServer(input.image, { ...definedFields({ maxImageBytes: this.maxImageBytes }), signal });
    return [...(input.text !== undefined ? [{ type: "text" as const, text: input.text }] : []), { type: "image_url", image_url: { url } }];
  }
}

/** The server's base URL from what the caller gave: an http(s) URL, perhaps ending in `/` or `/v1`. */
function serverBase(url: string): string {
  if (typeof url !== "string" || !isServerUrl(url) || !URL.canParse(url)) throw invalidOption("url", "an http(s) URL such as http://127.0.0.1:8080", url);
  return new URL(url).href.replace(/\/+$/, "").replace(/\/v1$/, "");
}

/** Consecutive inputs with the same instruction, at most `max` to a request (the server takes one instruction per request). */
function requestBatches(inputs: readonly RgeInput[], max: number): RgeInput[][] {
  const key = (input: RgeInput) => (input.instruction === undefined ? undefined : (input.instruction ?? ""));
  const batches: RgeInput[][] = [];
  for (const input of inputs) {
    const last = batches.at(-1);
    if (last && last.length < max && key(last[0]!) === key(input)) last.push(input);
    else batches.push([input]);
  }
  return batches;
}

/** `fn` over `items` with at most `limit` running at once, results in order. */
async function inPool<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

function itemsOf(response: EmbeddingsResponse, expected: number, url: string): EmbeddingItem[] {
  const data = Array.isArray(response?.data) ? response.data : [];
  if (data.length !== expected) throw new RemoteError(`The RGE server at ${url} answered ${data.length} embeddings for ${expected} inputs.`, url, 200, null);
  return [...data].sort((a, b) => a.index - b.index);
}

function toQueryEmbedding(item: EmbeddingItem): QueryEmbedding {
  return {
    embedding: vector(item.embedding),
    rationale: item.rationale ?? "",
    stoppedBy: item.stopped_by ?? "noReasoning",
    tokens: { prompt: item.usage.prompt_tokens, generated: item.usage.completion_tokens },
    generatedIds: item.generated_ids ?? [],
  };
}

/** An embedding from the wire; base64 holds the float32 bytes in the byte order both ends share (little-endian). */
function vector(embedding: number[] | string): Float32Array {
  if (typeof embedding !== "string") return Float32Array.from(embedding);
  const bytes = Buffer.from(embedding, "base64");
  const values = new Float32Array(bytes.byteLength / 4);
  new Uint8Array(values.buffer).set(bytes);
  return values;
}
