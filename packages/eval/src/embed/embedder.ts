import type { Settled } from "@rge/core";

/** What the embedder is asked to embed: the user turn verbatim and, when the item has one, its image file. */
export interface MmebEmbedInput {
  /** The whole user turn, with Qwen's vision placeholder where the image goes. */
  userText: string;
  /** Absolute path of the image file, if any. */
  image?: string;
}

/** A query embedding and the rationale written before it (empty without reasoning). */
export interface MmebQueryVector {
  embedding: Float32Array;
  rationale: string;
  stoppedBy: string;
}

/** Kinds of embedding a run makes; each is cached under its own identity. */
export type EmbedKind = "target" | "query" | "query-reasoning";

/**
 * What the evaluation needs from a model. {@link rgeModelEmbedder} adapts an `RgeModel`; tests and other
 * backends can pass their own.
 */
export interface MmebEmbedder {
  /**
   * A string that changes whenever this kind's embeddings would (bundle, dtype, `maxNewTokens`, pixel bounds…).
   * Cache entries are keyed by it and by the exact prompt and image bytes.
   */
  cacheIdentity(kind: EmbedKind): string;
  /** Embeds queries, one result per input (a bad item fails only its own slot). */
  embedQueries(inputs: MmebEmbedInput[], options: { reasoning: boolean; signal?: AbortSignal }): Promise<Settled<MmebQueryVector>[]>;
  /** Embeds candidates (targets): prompt + `<emb>`, no reasoning. */
  embedTargets(inputs: MmebEmbedInput[], options: { signal?: AbortSignal }): Promise<Settled<{ embedding: Float32Array }>[]>;
}
