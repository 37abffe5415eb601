import {
  checkOptions,
  connectRgeModel,
  invalidOption,
  isServerUrl,
  loadRgeModel,
  optionRules as rules,
  RgeModel,
  RgeRemoteModel,
  type ConnectRgeModelOptions,
  type LoadRgeModelOptions,
  type QueryEmbedding,
  type RgeInput,
} from "@rge/core";
import { MultiModalEmbedding, type ImageType, type MessageContent, type MessageContentDetail } from "llamaindex";
import { isEmbeddablePart, toImageSource, toQueryInput } from "./query-content.js";
import { RationaleEvents } from "./rationale-events.js";

/** Models loaded (or connected) by {@link RgeLlamaEmbedding.load}, which the embedding disposes. */
const loadedModels = new WeakSet<RgeModel | RgeRemoteModel>();

/** Settings of {@link RgeLlamaEmbedding}. */
export interface RgeLlamaEmbeddingParams {
  /** A loaded model (`loadRgeModel`) or one served over HTTP (`connectRgeModel`). The embedding never disposes a model it was given. */
  model: RgeModel | RgeRemoteModel;
  /** Instruction before query text. Default: RGE's per-modality query instruction; `null` sends the query alone. */
  queryInstruction?: string | null;
  /** Instruction before document text. Default: RGE's one-word-summary prefix; `null` sends the text alone. */
  documentInstruction?: string | null;
  /** Instruction for image documents. Default: RGE's image summary instruction; `null` for none. */
  imageInstruction?: string | null;
  /** Write a rationale before embedding queries. Default true; false embeds queries like documents (faster). */
  reasoning?: boolean;
  /** Rationale budget per query, counting `<emb>`. Default: the model's. */
  maxNewTokens?: number;
  /** How many nodes LlamaIndex hands to one batch call while indexing. Default 32. */
  embedBatchSize?: number;
  /** Called with every query's embedding and rationale, for logging or display. Default: none. */
  onRationale?: (result: QueryEmbedding, input: RgeInput) => void;
}

const PARAM_RULES = {
  queryInstruction: rules.nullable(rules.string),
  documentInstruction: rules.nullable(rules.string),
  imageInstruction: rules.nullable(rules.string),
  reasoning: rules.boolean,
  maxNewTokens: rules.positiveInteger,
  embedBatchSize: rules.positiveInteger,
  onRationale: rules.func,
};

function loadedModel(v: unknown, name: string): void {
  if (!(v instanceof RgeModel) && !(v instanceof RgeRemoteModel)) throw invalidOption(name, "a loaded RgeModel or an RgeRemoteModel (loadRgeModel or connectRgeModel, or use RgeLlamaEmbedding.load)", v);
}

/**
 * Options of {@link RgeLlamaEmbedding.load}: how to load the model (`loadRgeModel`'s options) or, for a server URL,
 * how to reach it (`connectRgeModel`'s, such as `apiKey`), and the embedding's settings.
 */
export type RgeLlamaEmbeddingLoadOptions = LoadRgeModelOptions & ConnectRgeModelOptions & Omit<RgeLlamaEmbeddingParams, "model">;

/**
 * RGE as a LlamaIndex `MultiModalEmbedding`. Text nodes and image nodes are embedded as documents (one
 * forward pass each, batched); queries reason first, then embed. All embeddings share one space, so
 * text and image nodes can be ranked together (see {@link RgeLlamaRetriever} for joint text+image queries).
 *
 * @example
 * import { Settings, VectorStoreIndex } from "llamaindex";
 * const embedding = await RgeLlamaEmbedding.load("./rge-bundle");
 * Settings.embedModel = embedding;
 * const index = await VectorStoreIndex.fromDocuments(documents);
 * const nodes = await index.asRetriever().retrieve("red fruit");
 * await embedding.dispose();
 *
 * // Remote mode: the same code against a server started with `rge-serve`.
 * Settings.embedModel = await RgeLlamaEmbedding.load("http://127.0.0.1:8080", { apiKey: process.env.RGE_API_KEY });
 */
export class RgeLlamaEmbedding extends MultiModalEmbedding {
  readonly model: RgeModel | RgeRemoteModel;
  private readonly params: Omit<RgeLlamaEmbeddingParams, "model">;

  /**
   * Loads a bundle (or a hub id), or connects to a server when given its URL, and wraps the model; {@link dispose}
   * then frees it.
   *
   * @example
   * const embedding = await RgeLlamaEmbedding.load("./rge-bundle", { device: "cpu", maxNewTokens: 64 });
   * const remote = await RgeLlamaEmbedding.load("http://127.0.0.1:8080", { apiKey: "secret" });
   */
  static async load(pathHubIdOrUrl: string, options: RgeLlamaEmbeddingLoadOptions = {}): Promise<RgeLlamaEmbedding> {
    checkOptions(options, "RgeLlamaEmbedding.load's options", PARAM_RULES); // before the load, which core checks
    const model = isServerUrl(pathHubIdOrUrl) ? await connectRgeModel(pathHubIdOrUrl, options) : await loadRgeModel(pathHubIdOrUrl, options);
    loadedModels.add(model);
    return new RgeLlamaEmbedding({ ...options, model });
  }

  /**
   * @example
   * const embedding = new RgeLlamaEmbedding({ model: await loadRgeModel("./rge-bundle") });
   */
  /** Throws `InvalidOptionError` (`RGE_INVALID_OPTION`) naming a wrong param, e.g. `maxNewTokens: NaN`. */
  constructor(fields: RgeLlamaEmbeddingParams) {
    checkOptions(fields ?? {}, "RgeLlamaEmbedding's params", { ...PARAM_RULES, model: loadedModel });
    if (fields?.model === undefined) loadedModel(undefined, "model");
    const { model, ...params } = fields;
    super();
    this.model = model;
    this.params = params;
    this.embedBatchSize = params.embedBatchSize ?? 32;
    this.embedInfo = { dimensions: model.dimension };
    // LlamaIndex assigns getTextEmbeddings as a property in its constructor, which shadows a method: assign ours here.
    this.getTextEmbeddings = async (texts: string[]) => {
      const results = await this.model.embedTargets(texts.map((text) => this.textDocument(text)));
      return results.map((r) => Array.from(r.embedding));
    };
  }

  /** Embeds a text node's content as a document (no reasoning). */
  async getTextEmbedding(text: string): Promise<number[]> {
    return Array.from((await this.model.embedTarget(this.textDocument(text))).embedding);
  }

  /** Embeds an image node's image (path, URL or Blob) as a document. */
  async getImageEmbedding(image: ImageType): Promise<number[]> {
    return Array.from((await this.model.embedTarget(await this.imageDocument(image))).embedding);
  }

  /** Embeds image documents in one batched call. */
  override async getImageEmbeddings(images: ImageType[]): Promise<number[][]> {
    const inputs = await Promise.all(images.map((image) => this.imageDocument(image)));
    return (await this.model.embedTargets(inputs)).map((r) => Array.from(r.embedding));
  }

  /**
   * One query part (text or image) with reasoning. LlamaIndex's own retriever calls this once per part;
   * use {@link embedQuery} or {@link RgeLlamaRetriever} to embed text and image together. Returns null for
   * parts RGE cannot embed (audio, video, files), as LlamaIndex expects.
   */
  override async getQueryEmbedding(query: MessageContentDetail): Promise<number[] | null> {
    if (!isEmbeddablePart(query)) return null;
    return Array.from((await this.embedQuery([query])).embedding);
  }

  /**
   * Embeds a whole query (text and image parts together) with its rationale. While the model writes the rationale,
   * its pieces go to `Settings.callbackManager` as "rge-rationale-token" events, and the result as "rge-rationale"
   * (typed: see {@link RgeRationaleTokenEvent}, {@link RgeRationaleEvent}).
   *
   * @example
   * const q = await embedding.embedQuery([
   *   { type: "text", text: "What fruit is this?" },
   *   { type: "image_url", image_url: { url: "file:///photos/apple.png" } },
   * ]);
   * console.log(q.rationale, q.stoppedBy);
   */
  async embedQuery(query: MessageContent): Promise<QueryEmbedding> {
    return (await this.embedQueries([query]))[0]!;
  }

  /**
   * Embeds many queries, batched (rationales generated together); equal to {@link embedQuery} one at a time.
   *
   * @example
   * const [a, b] = await embedding.embedQueries(["red fruit", "night sky"]);
   */
  async embedQueries(queries: readonly MessageContent[]): Promise<QueryEmbedding[]> {
    const inputs = queries.map((q) => this.queryInput(q));
    const events = queries.map((q) => new RationaleEvents(q));
    const results = await this.model.embedQueries(inputs, { ...this.queryOptions(), onToken: (piece, i) => events[i]!.token(piece) });
    results.forEach((result, i) => {
      events[i]!.end(result);
      this.params.onRationale?.(result, inputs[i]!);
    });
    return results;
  }

  /** Frees the model if this embedding loaded it ({@link load}); a model passed in stays open. */
  async dispose(): Promise<void> {
    if (loadedModels.has(this.model)) await this.model.dispose();
  }

  private queryInput(query: MessageContent): RgeInput {
    return withInstruction(toQueryInput(query), this.params.queryInstruction);
  }

  private queryOptions() {
    const { reasoning, maxNewTokens } = this.params;
    return { ...(reasoning !== undefined ? { reasoning } : {}), ...(maxNewTokens !== undefined ? { maxNewTokens } : {}) };
  }

  private textDocument(text: string): RgeInput {
    return withInstruction({ text }, this.params.documentInstruction);
  }

  private async imageDocument(image: ImageType): Promise<RgeInput> {
    return withInstruction({ image: await toImageSource(image) }, this.params.imageInstruction);
  }
}

/** Sets the instruction only when one was configured, so RGE's defaults apply otherwise. */
function withInstruction(input: RgeInput, instruction: string | null | undefined): RgeInput {
  return instruction === undefined ? input : { ...input, instruction };
}
