import { setMaxListeners } from "node:events";
import { AbortedError } from "@rge/core";
import type { CachedEmbedding, EmbeddingStore } from "../cache/embedding-store.js";
import type { EmbedKind, MmebEmbedder, MmebEmbedInput } from "./embedder.js";

/** One item to embed, with its content key. */
export interface KeyedInput extends MmebEmbedInput {
  key: string;
}

export interface EmbedWithCacheOptions {
  embedder: MmebEmbedder;
  kind: EmbedKind;
  store: EmbeddingStore;
  /** Items sent to the embedder per call, and written per cache chunk. */
  chunkSize: number;
  signal?: AbortSignal;
  /** Called after each chunk with how many of `total` uncached items are done. */
  onChunk?: (done: number, total: number) => void;
}

/** What came back for each input: its embedding, or why it failed. */
export type EmbedOutcome = { ok: true; value: CachedEmbedding } | { ok: false; error: string };

/**
 * Embeds the inputs the store does not hold yet, chunk by chunk, writing each finished chunk before the next
 * starts, then returns an outcome per input (cached or new). Failed items are reported, never cached.
 */
export async function embedWithCache(inputs: readonly KeyedInput[], options: EmbedWithCacheOptions): Promise<EmbedOutcome[]> {
  const { embedder, kind, store, chunkSize, signal } = options;
  const failed = new Map<string, string>();
  const todo = uniqueMissing(inputs, store);
  options.onChunk?.(0, todo.length);
  for (let at = 0; at < todo.length; at += chunkSize) {
    if (signal?.aborted) throw new AbortedError(undefined, { cause: signal.reason });
    const chunk = todo.slice(at, at + chunkSize);
    const plain = chunk.map(({ userText, image }) => ({ userText, ...(image !== undefined ? { image } : {}) }));
    const fresh: CachedEmbedding[] = [];
    const call = { ...(signal ? { signal: chunkSignal(signal) } : {}) };
    if (kind === "target") {
      const settled = await embedder.embedTargets(plain, call);
      settled.forEach((s, i) => {
        if (s.status === "fulfilled") fresh.push({ key: chunk[i]!.key, embedding: s.value.embedding });
        else failed.set(chunk[i]!.key, errorText(s.reason));
      });
    } else {
      const settled = await embedder.embedQueries(plain, { reasoning: kind === "query-reasoning", ...call });
      settled.forEach((s, i) => {
        if (s.status === "fulfilled") {
          const { embedding, rationale, stoppedBy } = s.value;
          fresh.push({ key: chunk[i]!.key, embedding, ...(kind === "query-reasoning" ? { rationale, stoppedBy } : {}) });
        } else failed.set(chunk[i]!.key, errorText(s.reason));
      });
    }
    store.append(fresh);
    if (signal?.aborted) throw new AbortedError(undefined, { cause: signal.reason });
    options.onChunk?.(Math.min(at + chunkSize, todo.length), todo.length);
  }
  return inputs.map((input) => {
    const value = store.get(input.key);
    return value ? { ok: true, value } : { ok: false, error: failed.get(input.key) ?? "not embedded" };
  });
}

/** A signal that follows `signal`, for one chunk: the engine listens once per item, more than Node's default of 10. */
function chunkSignal(signal: AbortSignal): AbortSignal {
  const child = AbortSignal.any([signal]);
  setMaxListeners(0, child);
  return child;
}

function uniqueMissing(inputs: readonly KeyedInput[], store: EmbeddingStore): KeyedInput[] {
  const seen = new Set<string>();
  return inputs.filter((i) => !store.get(i.key) && !seen.has(i.key) && (seen.add(i.key), true));
}

function errorText(reason: unknown): string {
  if (reason instanceof Error) return "code" in reason ? `${String(reason.code)}: ${reason.message}` : reason.message;
  return String(reason);
}
