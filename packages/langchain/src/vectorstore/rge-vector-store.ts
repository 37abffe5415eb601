import { randomUUID } from "node:crypto";
import { checkOptions, InvalidOptionError, optionRules as rules } from "@rge/core";
import { Document, type DocumentInterface } from "@langchain/core/documents";
import type { EmbeddingsInterface } from "@langchain/core/embeddings";
import { VectorStore } from "@langchain/core/vectorstores";
import { DimensionMismatchError } from "../errors.js";
import { stringArray } from "../option-rules.js";
import { RgeEmbeddings } from "../embeddings/rge-embeddings.js";
import { firstNonFinite } from "./non-finite.js";
import { readVectorStoreFile, writeVectorStoreFile, type StoredEntry } from "./vector-store-file.js";

/** Options of {@link RgeVectorStore.addVectors} and {@link RgeVectorStore.addDocuments}. */
export interface RgeAddOptions {
  /** Ids for the documents (default: each document's `id`, else a random UUID). An existing id is replaced. */
  ids?: string[];
}

/**
 * An in-process vector store with JSON persistence: the default store of `RgeRetriever`. Search is exact
 * (cosine over every vector), which is fast for up to some hundred thousand documents.
 *
 * With {@link RgeEmbeddings}, `addDocuments` embeds images too: a document's image travels in
 * `metadata.image` (a path, `data:` URL, URL, bytes or image content block). Vectors of another dimension
 * than the store's are refused with `DimensionMismatchError`.
 *
 * @example
 * const store = new RgeVectorStore(embeddings);
 * await store.addDocuments([new Document({ pageContent: "A red apple." }), new Document({ pageContent: "", metadata: { image: "./sky.png" } })]);
 * await store.save("./index.json");
 * const again = await RgeVectorStore.load("./index.json", embeddings);
 */
export class RgeVectorStore extends VectorStore {
  declare FilterType: (document: DocumentInterface) => boolean;
  private readonly entries = new Map<string, StoredEntry>();
  /** Length of the stored vectors; fixed by the first vector added. */
  dimension: number | undefined;

  static override lc_name(): string {
    return "RgeVectorStore";
  }

  constructor(embeddings: EmbeddingsInterface, fields: { dimension?: number } = {}) {
    checkOptions(fields, "RgeVectorStore's fields", { dimension: rules.positiveInteger });
    super(embeddings, fields);
    this.dimension = fields.dimension;
  }

  _vectorstoreType(): string {
    return "rge_memory";
  }

  /** Number of stored documents. */
  get size(): number {
    return this.entries.size;
  }

  /** Embeds the documents (images included when the embedder is an `RgeEmbeddings`) and stores them. */
  async addDocuments(documents: DocumentInterface[], options?: RgeAddOptions): Promise<string[]> {
    const vectors =
      this.embeddings instanceof RgeEmbeddings
        ? await this.embeddings.embedDocuments(documents)
        : await this.embeddings.embedDocuments(documents.map((d) => d.pageContent));
    return this.addVectors(vectors, documents, options);
  }

  async addVectors(vectors: number[][], documents: DocumentInterface[], options: RgeAddOptions = {}): Promise<string[]> {
    checkOptions(options, "addVectors' options", { ids: stringArray });
    if (vectors.length !== documents.length) {
      throw new InvalidOptionError(`Got ${vectors.length} vectors for ${documents.length} documents; give one vector per document.`);
    }
    if (options.ids && options.ids.length !== documents.length) {
      throw new InvalidOptionError(`Got ${options.ids.length} ids for ${documents.length} documents; give one id per document.`);
    }
    vectors.forEach((v) => this.checkDimension(v.length, "add a vector"));
    // Checked as stored, in float32, where a value past ±3.4e38 becomes Infinity.
    const stored = vectors.map((v, i) => checkFinite(Float32Array.from(v), `Vector ${i}`, v));
    if (vectors[0]) this.dimension ??= vectors[0].length;
    return documents.map((document, i) => {
      const id = options.ids?.[i] ?? document.id ?? randomUUID();
      this.entries.set(id, { id, vector: stored[i]!, pageContent: document.pageContent, metadata: { ...document.metadata } });
      return id;
    });
  }

  /** Throws `InvalidOptionError` for a `k` that is not a positive integer (`-1` would drop the last hit, `NaN` all). */
  async similaritySearchVectorWithScore(query: number[], k: number, filter?: this["FilterType"]): Promise<[DocumentInterface, number][]> {
    checkOptions({ k, filter }, "the search options", { k: rules.positiveInteger, filter: rules.func });
    this.checkDimension(query.length, "search with a query vector");
    checkFinite(query, "The query vector", query);
    const queryNorm = Math.hypot(...query) || 1;
    const scored: [StoredEntry, number][] = [];
    for (const entry of this.entries.values()) {
      if (filter && !filter(toDocument(entry))) continue;
      scored.push([entry, cosine(query, queryNorm, entry.vector)]);
    }
    scored.sort((a, b) => b[1] - a[1]);
    return scored.slice(0, k).map(([entry, score]) => [toDocument(entry), score]);
  }

  /**
   * The stored documents with these ids, in the order of `ids`, each with its `id` set; an id that is not
   * stored is skipped, so fewer documents may come back (LangChain's `get_by_ids` contract). The documents
   * are copies: changing them leaves the store as it is.
   *
   * @example
   * const [apple] = await store.getByIds(["apple"]);
   */
  async getByIds(ids: string[]): Promise<DocumentInterface[]> {
    stringArray(ids, "ids");
    return ids.flatMap((id) => {
      const entry = this.entries.get(id);
      return entry ? [toDocument(entry)] : [];
    });
  }

  /** Removes documents by id; without ids, removes everything. */
  override async delete(params: { ids?: string[] } = {}): Promise<void> {
    checkOptions(params, "delete's params", { ids: stringArray });
    if (!params.ids) return this.entries.clear();
    for (const id of params.ids) this.entries.delete(id);
  }

  /** Writes the store to a JSON file (see the package README for the format). */
  save(path: string): Promise<void> {
    return writeVectorStoreFile(path, this.dimension, this.entries.values());
  }

  /** Opens a store saved by {@link RgeVectorStore.save}; a missing or malformed file gives `VectorStoreFileError`. */
  static async load(path: string, embeddings: EmbeddingsInterface): Promise<RgeVectorStore> {
    const { dimension, entries } = await readVectorStoreFile(path);
    const store = new RgeVectorStore(embeddings, dimension !== undefined ? { dimension } : {});
    for (const entry of entries) store.entries.set(entry.id, entry);
    return store;
  }

  /** Creates a store and adds the documents to it. */
  static override async fromDocuments(documents: DocumentInterface[], embeddings: EmbeddingsInterface): Promise<RgeVectorStore> {
    const store = new RgeVectorStore(embeddings);
    await store.addDocuments(documents);
    return store;
  }

  /** Creates a store from texts and their metadata (one object for all, or one per text). */
  static override async fromTexts(texts: string[], metadatas: object[] | object, embeddings: EmbeddingsInterface): Promise<RgeVectorStore> {
    const documents = texts.map(
      (pageContent, i) => new Document({ pageContent, metadata: (Array.isArray(metadatas) ? metadatas[i] : metadatas) ?? {} }),
    );
    return RgeVectorStore.fromDocuments(documents, embeddings);
  }

  private checkDimension(found: number, action: string): void {
    if (this.dimension !== undefined && found !== this.dimension) {
      throw new DimensionMismatchError(
        `Cannot ${action} of dimension ${found}: this store holds vectors of dimension ${this.dimension}. ` +
          `It was filled by another model; use the same model, or re-index into a new store.`,
        this.dimension,
        found,
      );
    }
  }
}

/** Returns `vector`, or throws `InvalidOptionError` naming the first NaN or ±Infinity (`given` holds the caller's values). */
function checkFinite<V extends ArrayLike<number>>(vector: V, what: string, given: readonly number[]): V {
  const bad = firstNonFinite(vector);
  if (bad === -1) return vector;
  const range = Number.isFinite(given[bad]) ? ", past float32's range" : "";
  throw new InvalidOptionError(
    `${what} has a non-finite value at position ${bad} (${given[bad]}${range}); it would score NaN against every document. ` +
      `Check the embedder that made it.`,
  );
}

function toDocument(entry: StoredEntry): Document {
  return new Document({ pageContent: entry.pageContent, metadata: { ...entry.metadata }, id: entry.id });
}

function cosine(query: number[], queryNorm: number, vector: Float32Array): number {
  let dot = 0;
  let norm = 0;
  for (let i = 0; i < vector.length; i++) {
    dot += query[i]! * vector[i]!;
    norm += vector[i]! * vector[i]!;
  }
  return dot / (queryNorm * (Math.sqrt(norm) || 1));
}
