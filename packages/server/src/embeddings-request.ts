import type { ContentPart, EmbeddingsRequest, RgeInput } from "@rge/core";

const part = {
  anyOf: [
    { type: "object", required: ["type", "text"], properties: { type: { const: "text" }, text: { type: "string" } } },
    {
      type: "object",
      required: ["type", "image_url"],
      properties: {
        type: { const: "image_url" },
        image_url: { anyOf: [{ type: "string" }, { type: "object", required: ["url"], properties: { url: { type: "string" } } }] },
      },
    },
  ],
};

/** JSON schema of the request body (`EmbeddingsRequest`, declared in core beside its client): Fastify validates it before the handler runs. */
export const EMBEDDINGS_REQUEST_SCHEMA = {
  type: "object",
  properties: {
    model: { type: "string" },
    input: { anyOf: [{ type: "string" }, { type: "array", items: { anyOf: [{ type: "string" }, { type: "array", items: part }] } }] },
    messages: {
      type: "array",
      minItems: 1,
      items: {
        type: "object",
        required: ["role", "content"],
        properties: { role: { type: "string" }, content: { anyOf: [{ type: "string" }, { type: "array", items: part }] } },
      },
    },
    encoding_format: { enum: ["float", "base64"] },
    dimensions: { type: "integer" },
    user: { type: "string" },
    side: { enum: ["query", "document"] },
    reasoning: { type: "boolean" },
    max_new_tokens: { type: "integer", minimum: 1 },
    instruction: { type: "string" },
    stream: { type: "boolean" },
  },
} as const;

/** A request the schema accepts but that cannot be served; `param` names the field (OpenAI's error shape). */
export class RequestError extends Error {
  constructor(
    message: string,
    readonly param: string,
    readonly code = "invalid_request",
  ) {
    super(message);
  }
}

/**
 * The inputs a request asks to embed. Images may only be `data:` URLs, or `http(s)` URLs when the model allows
 * network access: a path would let a client read the server's files.
 */
export function requestInputs(body: EmbeddingsRequest, maxItems: number): RgeInput[] {
  if ((body.input === undefined) === (body.messages === undefined)) {
    throw new RequestError("Give exactly one of `input` (texts) and `messages` (a chat with text and image parts).", body.input === undefined ? "input" : "messages");
  }
  const items: RgeInput[] = [];
  if (body.messages) items.push(fromParts(body.messages.flatMap((m) => (typeof m.content === "string" ? [{ type: "text", text: m.content } as const] : m.content)), "messages"));
  else {
    const list = typeof body.input === "string" ? [body.input] : body.input!;
    list.forEach((item, i) => items.push(typeof item === "string" ? { text: item } : fromParts(item, `input[${i}]`)));
  }
  if (items.length === 0) throw new RequestError("`input` is empty: give at least one item.", "input");
  if (items.length > maxItems) throw new RequestError(`${items.length} items in one request; this server takes at most ${maxItems}. Split the request.`, "input");
  if (body.instruction !== undefined) for (const item of items) item.instruction = body.instruction;
  return items;
}

function fromParts(parts: ContentPart[], where: string): RgeInput {
  const texts: string[] = [];
  let image: string | undefined;
  for (const p of parts) {
    if (p.type === "text") texts.push(p.text);
    else {
      const url = typeof p.image_url === "string" ? p.image_url : p.image_url.url;
      if (image !== undefined) throw new RequestError("RGE embeds at most one image per item.", where);
      if (!/^(data:|https?:)/i.test(url)) throw new RequestError("An image must be a data: URL (or an http(s) URL where the server allows network).", where);
      image = url;
    }
  }
  const text = texts.join("\n");
  return { ...(text ? { text } : {}), ...(image !== undefined ? { image } : {}) };
}
