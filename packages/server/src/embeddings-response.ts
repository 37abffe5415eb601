import { RgeError, type EmbeddingsRequest, type EmbeddingsResponse, type ErrorBody, type QueryEmbedding, type Settled, type TargetEmbedding } from "@rge/core";

/** What one call of the embed methods gave for an item. */
export type ItemResult = QueryEmbedding | TargetEmbedding;

/** An error answer: its HTTP status and OpenAI's error body. */
export interface ErrorAnswer {
  status: number;
  body: ErrorBody;
}

/** OpenAI's error body, with the `RgeError` code and its data fields where there are some. */
export function errorAnswer(status: number, type: string, message: string, param: string | null, code: string | null, details?: Record<string, unknown>): ErrorAnswer {
  return { status, body: { error: { message, type, param, code, ...(details ? { details } : {}) } } };
}

/**
 * The answer to a request whose items have all settled: the embeddings, or, when any item failed, an error naming
 * the first failed item. One bad item fails the whole request, as OpenAI's API does; nothing partial is returned.
 */
export function embeddingsAnswer(results: Settled<ItemResult>[], body: EmbeddingsRequest, modelName: string, timedOut: { ms: number } | undefined): EmbeddingsResponse | ErrorAnswer {
  const failed = results.findIndex((r) => r.status === "rejected");
  if (failed < 0) return embeddingsResponse(results.map((r) => (r as { value: ItemResult }).value), body, modelName);
  if (timedOut) return errorAnswer(504, "server_error", `The request took longer than ${timedOut.ms} ms and was cancelled.`, null, "timeout");
  const reason = (results[failed] as { reason: Error }).reason;
  const code = reason instanceof RgeError ? reason.code : null;
  const status = reason instanceof RgeError && code !== "RGE_INTERNAL" && code !== "RGE_DISPOSED" ? 400 : 500;
  return errorAnswer(status, status === 400 ? "invalid_request_error" : "server_error", `Item ${failed}: ${reason.message}`, body.messages ? "messages" : `input[${failed}]`, code, errorDetails(reason));
}

function embeddingsResponse(values: ItemResult[], body: EmbeddingsRequest, modelName: string): EmbeddingsResponse {
  const usage = (prompt: number, generated: number) => ({ prompt_tokens: prompt, completion_tokens: generated, total_tokens: prompt + generated });
  const generated = (v: ItemResult) => ("generated" in v.tokens ? v.tokens.generated : 0);
  return {
    object: "list",
    model: body.model ?? modelName,
    data: values.map((v, index) => ({
      object: "embedding",
      index,
      embedding: body.encoding_format === "base64" ? Buffer.from(v.embedding.buffer, v.embedding.byteOffset, v.embedding.byteLength).toString("base64") : Array.from(v.embedding),
      // What a client needs to return the very QueryEmbedding the model made (RgeRemoteModel does).
      ...("rationale" in v ? { rationale: v.rationale, stopped_by: v.stoppedBy, generated_ids: v.generatedIds } : {}),
      usage: usage(v.tokens.prompt, generated(v)),
    })),
    usage: usage(
      values.reduce((s, v) => s + v.tokens.prompt, 0),
      values.reduce((s, v) => s + generated(v), 0),
    ),
  };
}

/** The data fields an RgeError subclass adds (e.g. `tokens` and `limit`), so a client can rebuild the error; none for most. */
function errorDetails(error: Error): Record<string, unknown> | undefined {
  if (!(error instanceof RgeError)) return undefined;
  const { code: _code, name: _name, ...details } = error as RgeError & Record<string, unknown>;
  return Object.keys(details).length > 0 ? details : undefined;
}
