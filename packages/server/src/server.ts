import { timingSafeEqual, createHash } from "node:crypto";
import { RgeError, type EmbeddingsResponse, type ErrorBody, type ModelList, type RgeModel, type Settled, type QueryEmbedding, type TargetEmbedding } from "@rge/core";
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from "fastify";
import type { EmbeddingsRequest } from "@rge/core";
import { EMBEDDINGS_REQUEST_SCHEMA, RequestError, requestInputs } from "./embeddings-request.js";
import { FairDispatcher } from "./fair-dispatcher.js";
import { ServerMetrics } from "./metrics.js";

/** Options of {@link createRgeServer}. */
export interface RgeServerOptions {
  /** The id `/v1/models` lists and requests may name. Default "rge". */
  modelName?: string;
  /** Require `Authorization: Bearer <apiKey>` on `/v1/*`. Default: no key. */
  apiKey?: string;
  /** Most items in one request. Default 256. */
  maxItems?: number;
  /** Largest request body in bytes (images come as data: URLs). Default 64 MiB. */
  bodyLimit?: number;
  /** Most items waiting or running across all requests; beyond it requests get 429 with Retry-After. Default 1024. */
  maxQueuedItems?: number;
  /** A request still running after this long is cancelled and answered 504. Default 600 000 ms. */
  requestTimeoutMs?: number;
  /**
   * Most items handed to the engine at once, across requests; the rest wait their turn, one item per request per
   * round, so a large request does not hold small ones back. Default 16 (two of the model's default batches).
   */
  dispatchWindow?: number;
  /** Fastify's logger: true for JSON request logs (pino), or its options. Default false. */
  logger?: FastifyServerOptions["logger"];
}

/**
 * An HTTP server over one loaded model, speaking OpenAI's `POST /v1/embeddings` as vLLM extends it for multimodal
 * models (`messages` with `image_url` parts), plus RGE's fields: `side` ("query" reasons first, "document" is one
 * pass), `reasoning`, `max_new_tokens`, and per item `rationale` and `stopped_by`. Every request feeds the model's
 * continuous batching, in turn with the others (see `FairDispatcher`). Prometheus metrics are at `/metrics`. Call `listen()` on the result; `close()` stops accepting and waits for requests in flight.
 *
 * @example
 * const server = await createRgeServer(await loadRgeModel("./bundle"), { apiKey: process.env.RGE_API_KEY });
 * await server.listen({ host: "127.0.0.1", port: 8080 });
 */
export async function createRgeServer(model: RgeModel, options: RgeServerOptions = {}): Promise<FastifyInstance> {
  const name = options.modelName ?? "rge";
  const maxItems = options.maxItems ?? 256;
  const maxQueued = options.maxQueuedItems ?? 1024;
  const timeoutMs = options.requestTimeoutMs ?? 600_000;
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: options.bodyLimit ?? 64 * 1024 ** 2,
    // JSON bodies are typed already: coercing (42 into "42", a string into an array) would accept what is wrong.
    ajv: { customOptions: { coerceTypes: false } },
  });
  let queued = 0;
  let ready = true;
  const dispatcher = new FairDispatcher(options.dispatchWindow ?? 16);
  const metrics = new ServerMetrics(() => queued, dispatcher);

  app.setErrorHandler((error: Error & { statusCode?: number; validation?: unknown; code?: string }, _request, reply) => {
    if (error.validation) return sendError(reply, 400, "invalid_request_error", error.message.replace(/^body\/?/, "body: "), null, "invalid_request");
    if (error.statusCode === 413) return sendError(reply, 413, "invalid_request_error", error.message, null, "body_too_large");
    if (error.statusCode && error.statusCode < 500) return sendError(reply, error.statusCode, "invalid_request_error", error.message, null, error.code ?? null);
    reply.log.error(error);
    return sendError(reply, 500, "server_error", "Internal error.", null, null);
  });

  app.addHook("onRequest", async (request, reply) => {
    if (!options.apiKey || !request.url.startsWith("/v1/")) return;
    const given = /^Bearer (.+)$/.exec(request.headers.authorization ?? "")?.[1] ?? "";
    if (!sameSecret(given, options.apiKey)) {
      return sendError(reply, 401, "authentication_error", "Missing or wrong API key: send `Authorization: Bearer <key>`.", null, "invalid_api_key");
    }
  });

  app.get("/health", async () => ({ status: "ok" }));
  app.get("/ready", async (_request, reply) => (ready ? { status: "ready", model: name } : reply.code(503).send({ status: "stopping" })));
  app.addHook("preClose", async () => {
    ready = false;
  });
  // While closing, responses to requests in flight end their connection too: a keep-alive socket left idle after
  // its last answer would otherwise hold close() open until the keep-alive timeout.
  app.addHook("onSend", async (_request, reply) => {
    if (!ready) reply.header("connection", "close");
  });

  app.get("/metrics", async (_request, reply) => reply.type(metrics.contentType).send(await metrics.text()));

  app.get("/v1/models", async (): Promise<ModelList> => ({
    object: "list",
    data: [name, `${name}:query`, `${name}:document`].map((id) => ({ id, object: "model", created: 0, owned_by: "rge", dimension: model.dimension, max_new_tokens: model.maxNewTokens })),
  }));

  app.post("/v1/embeddings", { schema: { body: EMBEDDINGS_REQUEST_SCHEMA } }, async (request: FastifyRequest<{ Body: EmbeddingsRequest }>, reply) => {
    const body = request.body;
    let side = body.side;
    if (body.model !== undefined) {
      const [asked, suffix] = body.model.split(":");
      if (asked !== name || (suffix !== undefined && suffix !== "query" && suffix !== "document")) {
        return sendError(reply, 404, "invalid_request_error", `This server serves "${name}" (also as "${name}:query" and "${name}:document"), not "${body.model}".`, "model", "model_not_found");
      }
      side ??= suffix as "query" | "document" | undefined;
    }
    side ??= "document";
    if (body.dimensions !== undefined && body.dimensions !== model.dimension) {
      return sendError(reply, 400, "invalid_request_error", `RGE embeddings have ${model.dimension} dimensions only; omit \`dimensions\` or pass ${model.dimension}.`, "dimensions", "unsupported_dimensions");
    }
    let inputs;
    try {
      inputs = requestInputs(body, maxItems);
    } catch (error) {
      if (error instanceof RequestError) return sendError(reply, 400, "invalid_request_error", error.message, error.param, error.code);
      throw error;
    }
    if (queued + inputs.length > maxQueued) {
      reply.header("Retry-After", "1");
      return sendError(reply, 429, "rate_limit_error", `The server is busy (${queued} items queued, at most ${maxQueued}); retry shortly.`, null, "queue_full");
    }
    // A client that goes away, or a request past its time, cancels its rows in the engine.
    const controller = new AbortController();
    const onClose = () => {
      if (!reply.raw.writableFinished) controller.abort(new Error("client disconnected"));
    };
    reply.raw.on("close", onClose);
    const timer = setTimeout(() => controller.abort(new Error("timeout")), timeoutMs);
    queued += inputs.length;
    const started = performance.now();
    let results: Settled<QueryEmbedding | TargetEmbedding>[];
    try {
      const queryOptions = {
        signal: controller.signal,
        ...(body.reasoning !== undefined ? { reasoning: body.reasoning } : {}),
        ...(body.max_new_tokens !== undefined ? { maxNewTokens: body.max_new_tokens } : {}),
      };
      const items = inputs;
      results = await dispatcher.run<QueryEmbedding | TargetEmbedding>(
        items.length,
        (i) => (side === "query" ? model.embedQuery(items[i]!, queryOptions) : model.embedTarget(items[i]!, { signal: controller.signal })),
        controller.signal,
      );
    } finally {
      queued -= inputs.length;
      clearTimeout(timer);
      reply.raw.off("close", onClose);
    }
    metrics.observe(side, results, (performance.now() - started) / 1000);
    // One bad item fails the whole request, as OpenAI's API does, naming the item; nothing partial is returned.
    const failed = results.findIndex((r) => r.status === "rejected");
    if (failed >= 0) {
      const reason = (results[failed] as { reason: Error }).reason;
      if (controller.signal.aborted && String(controller.signal.reason).includes("timeout")) {
        return sendError(reply, 504, "server_error", `The request took longer than ${timeoutMs} ms and was cancelled.`, null, "timeout");
      }
      const code = reason instanceof RgeError ? reason.code : null;
      const status = reason instanceof RgeError && code !== "RGE_INTERNAL" && code !== "RGE_DISPOSED" ? 400 : 500;
      return sendError(reply, status, status === 400 ? "invalid_request_error" : "server_error", `Item ${failed}: ${reason.message}`, body.messages ? "messages" : `input[${failed}]`, code, errorDetails(reason));
    }
    const ok = results.map((r) => (r as { value: QueryEmbedding | TargetEmbedding }).value);
    const usage = (prompt: number, generated: number) => ({ prompt_tokens: prompt, completion_tokens: generated, total_tokens: prompt + generated });
    const response: EmbeddingsResponse = {
      object: "list",
      model: body.model ?? name,
      data: ok.map((v, index) => ({
        object: "embedding",
        index,
        embedding: body.encoding_format === "base64" ? Buffer.from(v.embedding.buffer, v.embedding.byteOffset, v.embedding.byteLength).toString("base64") : Array.from(v.embedding),
        // What a client needs to return the very QueryEmbedding the model made (RgeRemoteModel does).
        ...("rationale" in v ? { rationale: v.rationale, stopped_by: v.stoppedBy, generated_ids: v.generatedIds } : {}),
        usage: usage(v.tokens.prompt, "generated" in v.tokens ? v.tokens.generated : 0),
      })),
      usage: usage(
        ok.reduce((s, v) => s + v.tokens.prompt, 0),
        ok.reduce((s, v) => s + ("generated" in v.tokens ? v.tokens.generated : 0), 0),
      ),
    };
    return response;
  });

  return app;
}

function sendError(reply: FastifyReply, status: number, type: string, message: string, param: string | null, code: string | null, details?: Record<string, unknown>): FastifyReply {
  const body: ErrorBody = { error: { message, type, param, code, ...(details ? { details } : {}) } };
  return reply.code(status).send(body);
}

/** The data fields an RgeError subclass adds (e.g. `tokens` and `limit`), so a client can rebuild the error; none for most. */
function errorDetails(error: Error): Record<string, unknown> | undefined {
  if (!(error instanceof RgeError)) return undefined;
  const { code: _code, name: _name, ...details } = error as RgeError & Record<string, unknown>;
  return Object.keys(details).length > 0 ? details : undefined;
}

/** Compares two secrets in time independent of where they differ (hashing first makes the lengths equal). */
function sameSecret(given: string, expected: string): boolean {
  const digest = (s: string) => createHash("sha256").update(s).digest();
  return timingSafeEqual(digest(given), digest(expected));
}
