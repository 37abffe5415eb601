import type { DocumentInterface } from "@langchain/core/documents";
import type { VectorStoreInterface } from "@langchain/core/vectorstores";
import { hnswlibConvention } from "./hnswlib.js";
import { lanceDbConvention } from "./lancedb.js";

/**
 * What `RgeRetriever` must know about a kind of LangChain vector store beyond its interface: how to hand it
 * documents it can keep, and what its search scores mean. Stores are recognised by `_vectorstoreType()`
 * and typed structurally, so none of them is a dependency.
 */
export interface StoreConvention {
  /** The documents as the store can keep them; runs after embedding, before `addVectors`. Never mutates them. */
  prepare(store: VectorStoreInterface, documents: DocumentInterface[]): Promise<DocumentInterface[]>;
  /** A search hit with the store's leftovers removed from its metadata, and its score as a cosine similarity (if the store's own is not). */
  readHit(store: VectorStoreInterface, document: DocumentInterface, score: unknown): { document: DocumentInterface; score: number };
}

/** Stores that keep documents as given and score by cosine similarity: `RgeVectorStore`, LangChain's memory stores. */
const asGiven: StoreConvention = {
  prepare: async (_store, documents) => documents,
  readHit: (_store, document, score) => ({ document, score: score as number }),
};

const CONVENTIONS = new Map<string, StoreConvention>([
  ["lancedb", lanceDbConvention],
  ["hnswlib", hnswlibConvention],
]);

/** The convention of `store`'s kind; unknown kinds are taken as they are. */
export function conventionOf(store: VectorStoreInterface): StoreConvention {
  const type = typeof store._vectorstoreType === "function" ? store._vectorstoreType() : undefined;
  return CONVENTIONS.get(type ?? "") ?? asGiven;
}
