import { timingSafeEqual, createHash } from "node:crypto";
import { definedFields, type EmbeddingsRequest, type ModelList, type RationaleDelta, type RationaleToken, type RgeModel, type Settled } from "@rge/core";
import { fastifySSE } from "@fastify/sse";
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from "fastify";
import { embeddingsAnswer, errorAnswer, type ItemResult } from "./embeddings-response.js";
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
  await app.register(fastifySSE);
  let queued = 0;
  let ready = true;
  const dispatcher = new FairDispatcher(options.dispatchWindow ?? 16);
  const metrics = new ServerMetrics(() => queued, dispatcher, () => model.stats());

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

  // "manual": the body's `stream` decides (OpenAI's convention), not the Accept header.
  app.post("/v1/embeddings", { schema: { body: EMBEDDINGS_REQUEST_SCHEMA }, sse: { kind: "manual" } }, async (request: FastifyRequest<{ Body: EmbeddingsRequest }>, reply) => {
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
    const sse = body.stream ? reply.sse : undefined;
    if (sse) {
      if (!ready) reply.header("connection", "close");
      sse.sendHeaders(); // accepted: the client learns it now, not when the first token comes
    }
    queued += inputs.length;
    const started = performance.now();
    let results: Settled<ItemResult>[];
    try {
      const queryOptions = (index: number) => ({
        signal: controller.signal,
        ...definedFields({ reasoning: body.reasoning, maxNewTokens: body.max_new_tokens }),
        ...(sse ? { onToken: (token: RationaleToken) => void sse.send({ data: rationaleDelta(index, token) }).catch(() => {}) } : {}),
      });
      results = await dispatcher.run<ItemResult>(
        inputs.length,
        (i) => (side === "query" ? model.embedQuery(inputs[i]!, queryOptions(i)) : model.embedTarget(inputs[i]!, { signal: controller.signal })),
        controller.signal,
      );
    } finally {
      queued -= inputs.length;
      clearTimeout(timer);
      reply.raw.off("close", onClose);
    }
    metrics.observe(side, results, (performance.now() - started) / 1000);
    const timedOut = controller.signal.aborted && String(controller.signal.reason).includes("timeout") ? { ms: timeoutMs } : undefined;
    const answer = embeddingsAnswer(results, body, name, timedOut);
    if (sse) {
      if (!sse.isConnected) return;
      await sse.send({ data: "status" in answer ? { ...answer.body, status: answer.status } : answer });
      await sse.send("[DONE]");
      return;
    }
    return "status" in answer ? reply.code(answer.status).send(answer.body) : answer;
  });

  return app;
}

/** The server-sent event of one piece of item `index`'s rationale. */
function rationaleDelta(index: number, token: RationaleToken): RationaleDelta {
  return { object: "embedding.rationale.delta", index, text: token.text, ids: token.ids };
}

function sendError(reply: FastifyReply, status: number, type: string, message: string, param: string | null, code: string | null): FastifyReply {
  const answer = errorAnswer(status, type, message, param, code);
  return reply.code(answer.status).send(answer.body);
}

/** Compares two secrets in time independent of where they differ (hashing first makes the lengths equal). */
function sameSecret(given: string, expected: string): boolean {
  const digest = (s: string) => createHash("sha256").update(s).digest();
  return timingSafeEqual(digest(given), digest(expected));
}
