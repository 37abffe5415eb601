import type { RgeInput } from "@rge/core";

/** Name of the LangChain custom event that carries each query's rationale. Stable across releases. */
export const RATIONALE_EVENT = "rge_rationale";

/**
 * Payload of the {@link RATIONALE_EVENT} custom event: one per reasoned query, delivered to callback
 * handlers (`handleCustomEvent`) and to `streamEvents` as `on_custom_event`.
 */
export interface RationaleEvent {
  /** The query as the model saw it; `image` describes the image (path, URL or byte count), not its bytes. */
  query: { text?: string; image?: string; instruction?: string | null };
  /** The rationale the model wrote, without the final `<emb>`. */
  rationale: string;
  /** `emb`: the model ended its rationale; `maxNewTokens`: the token budget ran out first. */
  stoppedBy: "emb" | "maxNewTokens";
  /** True when the rationale hit `maxNewTokens` without `<emb>` (the embedding is read from a cut-off rationale). */
  hitTokenCap: boolean;
  tokens: { prompt: number; generated: number };
  /** Wall time of the embed call in milliseconds (near 0 when cached). */
  ms: number;
  /** True when the rationale came from the rationale cache rather than the model. */
  cached: boolean;
}

/** Name of the LangChain custom event that carries each piece of a rationale while it is generated. Stable across releases. */
export const RATIONALE_TOKEN_EVENT = "rge_rationale_token";

/**
 * Payload of the {@link RATIONALE_TOKEN_EVENT} custom event, on the same `rge_rationale` run as the rationale's
 * {@link RATIONALE_EVENT}, which follows the last piece. The pieces of a run join to its rationale. A rationale from
 * the rationale cache comes as one piece with no `ids`.
 */
export interface RationaleTokenEvent {
  /** The text the piece adds (a character whose bytes span tokens comes whole). */
  text: string;
  /** The token ids behind it. */
  ids: number[];
}

/** A short, JSON-safe description of a query for events and logs (image bytes are never copied). */
export function describeQuery(input: RgeInput): RationaleEvent["query"] {
  return {
    ...(input.text !== undefined ? { text: input.text } : {}),
    ...(input.image !== undefined ? { image: describeImage(input.image) } : {}),
    ...(input.instruction !== undefined ? { instruction: input.instruction } : {}),
  };
}

function describeImage(image: NonNullable<RgeInput["image"]>): string {
  if (typeof image === "string") {
    const comma = image.indexOf(",");
    return image.startsWith("data:") && comma > 0 ? `${image.slice(0, comma)},… (${image.length - comma - 1} base64 chars)` : image;
  }
  if (image instanceof Blob) return `${image.size} bytes`;
  const bytes = image instanceof Uint8Array || image instanceof ArrayBuffer ? image : image.data;
  return `${bytes.byteLength} bytes`;
}
