import { createHash } from "node:crypto";
import type { RgeInput } from "@rge/core";

/** What the rationale cache keeps per query: enough to answer it again without generating. */
export interface CachedRationale {
  embedding: number[];
  rationale: string;
  stoppedBy: "emb" | "maxNewTokens";
  tokens: { prompt: number; generated: number };
}

/**
 * Where rationales are cached: any LangChain `BaseStore<string, CachedRationale>` (e.g. `new InMemoryStore()`
 * from `@langchain/core/stores`), or anything with the same `mget`/`mset`.
 */
export interface RationaleCache {
  mget(keys: string[]): Promise<(CachedRationale | undefined)[]>;
  mset(pairs: [string, CachedRationale][]): Promise<void>;
}

/**
 * The cache key of a query: a hash of the model, the token budget and the input. Image bytes are hashed;
 * paths and URLs are keyed by the string, so a file changed in place keeps its old rationale.
 */
export async function rationaleCacheKey(modelId: string, maxNewTokens: number, input: RgeInput): Promise<string> {
  const image = input.image === undefined ? null : typeof input.image === "string" ? input.image : hashBytes(await bytesOf(input.image));
  const identity = JSON.stringify([modelId, maxNewTokens, input.text ?? null, input.instruction ?? null, image]);
  return `rge:${createHash("sha256").update(identity).digest("hex")}`;
}

function hashBytes(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

async function bytesOf(image: Exclude<NonNullable<RgeInput["image"]>, string>): Promise<Uint8Array> {
  if (image instanceof Blob) return new Uint8Array(await image.arrayBuffer());
  const data = image instanceof Uint8Array || image instanceof ArrayBuffer ? image : image.data;
  return data instanceof Uint8Array ? data : new Uint8Array(data);
}
