import type { CallbackManagerForRetrieverRun } from "@langchain/core/callbacks/manager";
import { Document, type DocumentInterface } from "@langchain/core/documents";
import { BaseRetriever, type BaseRetrieverInput } from "@langchain/core/retrievers";
import type { RunnableConfig } from "@langchain/core/runnables";
import type { VectorStoreInterface } from "@langchain/core/vectorstores";
import { checkOptions, optionRules as rules, type OptionRule } from "@rge/core";
import { withMethods } from "../option-rules.js";
import type { RgeEmbeddings, RgeQueryResult } from "../embeddings/rge-embeddings.js";
import type { RgeQuery } from "../inputs/rge-query.js";
import { conventionOf } from "../stores/store-convention.js";
import { RgeVectorStore } from "../vectorstore/rge-vector-store.js";

/** What `RgeRetriever` adds to each returned document's metadata, under `metadata.rge`. */
export interface RgeRetrievalMetadata {
  /**
   * Cosine similarity of the document to the query (higher is closer) for `RgeVectorStore`, LangChain's
   * memory stores, and `@langchain/community`'s LanceDB and HNSWLib, whose distances are turned into it;
   * for another store, the score that store returns.
   */
  score: number;
  /** The rationale the model wrote about the query. */
  rationale: string;
  stoppedBy: RgeQueryResult["stoppedBy"];
}

/** Settings of {@link RgeRetriever}. */
export interface RgeRetrieverInput<V extends VectorStoreInterface = VectorStoreInterface> extends BaseRetrieverInput {
  /** The embedder; queries reason through it. */
  embeddings: RgeEmbeddings;
  /** Where documents live: any LangChain vector store filled by the same model. Default: a new `RgeVectorStore`. */
  vectorStore?: V;
  /** Documents returned per query. Default 4. */
  k?: number;
  /** Passed to the vector store's search. */
  filter?: V["FilterType"];
}

/**
 * A LangChain retriever that reasons about the query before searching, and takes images: `invoke` accepts
 * a string, `{ text?, image?, instruction? }`, or a `HumanMessage` with text and image blocks. It returns
 * `Document`s with `metadata.rge = { score, rationale, stoppedBy }`.
 *
 * Documents go in through {@link RgeRetriever.addDocuments}, which embeds their images (`metadata.image`)
 * for any vector store. The query's rationale reaches callback handlers as the `rge_rationale` event,
 * nested under the retriever's run.
 *
 * @example
 * const retriever = new RgeRetriever({ embeddings, k: 3 });
 * await retriever.addDocuments([new Document({ pageContent: "A red apple." }), new Document({ pageContent: "", metadata: { image: "./sky.png" } })]);
 * const docs = await retriever.invoke({ text: "What is in this picture?", image: "./photo.jpg" });
 * console.log(docs[0]?.metadata.rge.rationale);
 */
export class RgeRetriever<V extends VectorStoreInterface = VectorStoreInterface> extends BaseRetriever {
  static override lc_name(): string {
    return "RgeRetriever";
  }

  lc_namespace = ["rge", "retrievers"];
  readonly embeddings: RgeEmbeddings;
  readonly vectorStore: V;
  k: number;
  filter: V["FilterType"] | undefined;

  /** Throws `InvalidOptionError` (`RGE_INVALID_OPTION`) naming a wrong option, e.g. `k: 1.5`. */
  constructor(fields: RgeRetrieverInput<V>) {
    checkRetrieverInput(fields);
    super(fields);
    const k = fields.k ?? 4;
    this.embeddings = fields.embeddings;
    this.vectorStore = fields.vectorStore ?? (new RgeVectorStore(fields.embeddings) as unknown as V);
    this.k = k;
    this.filter = fields.filter;
  }

  /** Retrieves documents for a text, multimodal or message query. */
  override invoke(input: RgeQuery, options?: RunnableConfig): Promise<DocumentInterface[]> {
    // BaseRetriever passes the input through untouched; only its static type says string.
    return super.invoke(input as string, options);
  }

  override async _getRelevantDocuments(query: RgeQuery, runManager?: CallbackManagerForRetrieverRun): Promise<DocumentInterface[]> {
    rules.positiveInteger(this.k, "k"); // a public field: it may have been set since the constructor
    const q = await this.embeddings.embedQueryWithRationale(query, { callbacks: runManager?.getChild("rge_embeddings") });
    const hits = await this.vectorStore.similaritySearchVectorWithScore(q.embedding, this.k, this.filter);
    const convention = conventionOf(this.vectorStore);
    return hits.map((hit) => {
      const { document, score } = convention.readHit(this.vectorStore, hit[0], hit[1]);
      const rge: RgeRetrievalMetadata = { score, rationale: q.rationale, stoppedBy: q.stoppedBy };
      return new Document({ pageContent: document.pageContent, metadata: { ...document.metadata, rge }, ...(document.id !== undefined ? { id: document.id } : {}) });
    });
  }

  /**
   * Embeds documents with their images (`metadata.image`) and adds them to the vector store. For
   * `@langchain/community`'s LanceDB and HNSWLib stores, images are stored as text (bytes as `data:` URLs),
   * and LanceDB's table gets a column for each metadata field it lacks (see the package README).
   */
  async addDocuments(documents: DocumentInterface[], options?: Record<string, unknown>): Promise<string[] | void> {
    const vectors = await this.embeddings.embedDocuments(documents);
    const stored = await conventionOf(this.vectorStore).prepare(this.vectorStore, documents);
    return this.vectorStore.addVectors(vectors, stored, options);
  }

  /**
   * Creates a retriever over a new `RgeVectorStore` holding the documents.
   *
   * @example
   * const retriever = await RgeRetriever.fromDocuments(docs, { embeddings, k: 2 });
   */
  static async fromDocuments(documents: DocumentInterface[], fields: Omit<RgeRetrieverInput<RgeVectorStore>, "vectorStore">): Promise<RgeRetriever<RgeVectorStore>> {
    const retriever = new RgeRetriever<RgeVectorStore>({ ...fields, vectorStore: new RgeVectorStore(fields.embeddings) });
    await retriever.addDocuments(documents);
    return retriever;
  }
}

const RETRIEVER_RULES: Record<string, OptionRule> = {
  embeddings: withMethods("an RgeEmbeddings", "embedQueryWithRationale", "embedDocuments"),
  vectorStore: withMethods("a LangChain vector store", "similaritySearchVectorWithScore", "addVectors"),
  k: rules.positiveInteger,
};

/** `embeddings` is required; without a `vectorStore` (an `RgeVectorStore` then), `filter` must be a function. */
function checkRetrieverInput(fields: unknown): void {
  checkOptions(fields ?? {}, "RgeRetriever's options", RETRIEVER_RULES);
  const { embeddings, vectorStore } = fields as RgeRetrieverInput;
  if (embeddings === undefined) RETRIEVER_RULES.embeddings!(embeddings, "embeddings");
  if (vectorStore === undefined || vectorStore instanceof RgeVectorStore) checkOptions(fields, "RgeRetriever's options", { filter: rules.func });
}
