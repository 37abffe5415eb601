// The wire format of `rge-serve` (`@rge/server`): OpenAI's `/v1/embeddings` as vLLM extends it for multimodal
// models, plus RGE's fields. Declared here, beside the client that speaks it, so the server (which depends on core)
// and `RgeRemoteModel` compile against one definition.

/** An OpenAI chat content part, as vLLM accepts them in embedding requests for multimodal models. */
export type ContentPart = { type: "text"; text: string } | { type: "image_url"; image_url: { url: string } | string };

/** The body of `POST /v1/embeddings`: OpenAI's fields, vLLM's `messages`, and RGE's extensions. */
export interface EmbeddingsRequest {
  model?: string;
  /** One text, or several; an item may also be a list of content parts (text and one image). */
  input?: string | (string | ContentPart[])[];
  /** vLLM's chat form: one conversation, one embedding. */
  messages?: { role: string; content: string | ContentPart[] }[];
  encoding_format?: "float" | "base64";
  dimensions?: number;
  user?: string;
  /** RGE: embed the items as queries (reasoning first) or as documents (one pass). Default "document". */
  side?: "query" | "document";
  /** RGE, queries only: write a rationale first (default true). */
  reasoning?: boolean;
  /** RGE, queries only: rationale budget, counting `<emb>`. */
  max_new_tokens?: number;
  /** RGE: the instruction for every item (default: the model's for the side); "" sends the text alone. */
  instruction?: string;
  /**
   * RGE: answer with server-sent events: each query's rationale as it is generated ({@link RationaleDelta}), then
   * the whole response (or an error), then `[DONE]`. See {@link EmbeddingsStreamEvent}.
   */
  stream?: boolean;
}

/** Token counts, OpenAI's names: of the whole response, and (an RGE extension) of each item. */
export interface EmbeddingsUsage {
  prompt_tokens: number;
  /** Rationale tokens generated (`<emb>` included); 0 for documents. */
  completion_tokens: number;
  total_tokens: number;
}

/** One embedding of the response. */
export interface EmbeddingItem {
  object: "embedding";
  index: number;
  /** Numbers, or with `encoding_format: "base64"` the float32 values as little-endian bytes in base64. */
  embedding: number[] | string;
  /** RGE, queries: the rationale written before embedding, without `<emb>` (empty when reasoning is off). */
  rationale?: string;
  /** RGE, queries: why the rationale ended. */
  stopped_by?: "emb" | "maxNewTokens" | "noReasoning";
  /** RGE, queries: the token ids generated, the final `<emb>` included when the model emitted one. */
  generated_ids?: number[];
  /** RGE: this item's token counts (the response's `usage` is their sum). */
  usage: EmbeddingsUsage;
}

/** The body of a successful `POST /v1/embeddings`. */
export interface EmbeddingsResponse {
  object: "list";
  model: string;
  data: EmbeddingItem[];
  usage: EmbeddingsUsage;
}

/** A streamed piece of one item's rationale (`stream: true`); an item's pieces join to its `rationale`. */
export interface RationaleDelta {
  object: "embedding.rationale.delta";
  /** The item the piece belongs to. */
  index: number;
  text: string;
  /** The token ids behind `text` (several when a character spans tokens). */
  ids: number[];
}

/**
 * The `data:` of one server-sent event of a streamed `POST /v1/embeddings`: rationale deltas while queries reason,
 * then exactly one `EmbeddingsResponse` (`object: "list"`) or one `ErrorBody`, then the literal `[DONE]`. Errors
 * found before any work starts (a bad body, a full queue, a wrong key) are ordinary HTTP errors instead.
 */
export type EmbeddingsStreamEvent = RationaleDelta | EmbeddingsResponse | StreamedError;

/** An error after a stream has started: OpenAI's error body, and the HTTP status it would have had without `stream`. */
export interface StreamedError extends ErrorBody {
  status: number;
}

/** One entry of `GET /v1/models`: OpenAI's fields, plus what a client needs to stand in for the model. */
export interface ServedModel {
  id: string;
  object: "model";
  created: number;
  owned_by: string;
  /** Length of every embedding. */
  dimension: number;
  /** The rationale budget queries get when a request names none. */
  max_new_tokens: number;
}

/** The body of `GET /v1/models`. */
export interface ModelList {
  object: "list";
  data: ServedModel[];
}

/** OpenAI's error body. `code` carries the `RgeError` code where there is one. */
export interface ErrorBody {
  error: {
    message: string;
    type: string;
    param: string | null;
    code: string | null;
    /** RGE: the data fields of the `RgeError` (e.g. `tokens` and `limit` of `RGE_INPUT_TOO_LONG`), so a client can rebuild it. */
    details?: Record<string, unknown>;
  };
}
