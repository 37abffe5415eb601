import type { QueryEmbedding } from "@rge/core";
import type { BaseNode, Metadata } from "llamaindex";

/**
 * Metadata keys under which {@link RgeLlamaRetriever} puts the query's rationale on every node it returns.
 *
 * @example
 * const [hit] = await retriever.retrieve("red fruit");
 * console.log(hit?.node.metadata[RATIONALE_METADATA_KEYS.rationale]);
 */
export const RATIONALE_METADATA_KEYS = {
  /** The rationale the model wrote about the query (string). */
  rationale: "rgeRationale",
  /** Why the rationale ended: "emb", "maxNewTokens" or "noReasoning". */
  stoppedBy: "rgeStoppedBy",
} as const;

/** The metadata {@link RgeLlamaRetriever} adds to each node it returns. */
export interface RationaleMetadata {
  rgeRationale: string;
  rgeStoppedBy: QueryEmbedding["stoppedBy"];
}

const KEYS = Object.values(RATIONALE_METADATA_KEYS);

/**
 * A shallow copy of the node (same class) whose metadata also holds the query's rationale. The stored node
 * is left alone, and the keys are excluded from what LLMs and embedders see of the node.
 */
export function withRationale<T extends BaseNode>(node: T, query: QueryEmbedding): T {
  const copy = Object.assign(Object.create(Object.getPrototypeOf(node) as object) as T, node);
  const added: RationaleMetadata = { rgeRationale: query.rationale, rgeStoppedBy: query.stoppedBy };
  copy.metadata = { ...node.metadata, ...added } as Metadata;
  copy.excludedLlmMetadataKeys = [...node.excludedLlmMetadataKeys, ...KEYS];
  copy.excludedEmbedMetadataKeys = [...node.excludedEmbedMetadataKeys, ...KEYS];
  return copy;
}
