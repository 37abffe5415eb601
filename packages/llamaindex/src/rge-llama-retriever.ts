import { checkOptions, invalidOption, InvalidOptionError, optionRules as rules, type QueryEmbedding } from "@rge/core";
import {
  BaseRetriever,
  DEFAULT_SIMILARITY_TOP_K,
  VectorStoreQueryMode,
  type BaseNode,
  type BaseVectorStore,
  type MessageContent,
  type MetadataFilters,
  type NodeWithScore,
  type QueryBundle,
  type VectorStoreIndex,
} from "llamaindex";
import { withRationale } from "./rationale-metadata.js";
import { RgeLlamaEmbedding } from "./rge-llama-embedding.js";

/** Options of {@link RgeLlamaRetriever}. */
export interface RgeLlamaRetrieverOptions {
  /** The index to search; every vector store in it (text, image) is searched with the same query embedding. */
  index: VectorStoreIndex;
  /** Embeds the queries. Default: the index's embedding model, which must then be an {@link RgeLlamaEmbedding}. */
  embedModel?: RgeLlamaEmbedding;
  /** How many nodes to return, text and image nodes ranked together. Default 2 (LlamaIndex's default). */
  similarityTopK?: number;
  /** Metadata filters passed to the vector stores. Default: none. */
  filters?: MetadataFilters;
}

/**
 * Retrieves from a `VectorStoreIndex` with one RGE query embedding per query: the text and image parts are
 * embedded together after one rationale (LlamaIndex's own retriever embeds each part on its own and
 * concatenates the hits). Text and image nodes are ranked together by score, and every returned node
 * carries the rationale in its metadata (see {@link RATIONALE_METADATA_KEYS}).
 *
 * @example
 * const retriever = new RgeLlamaRetriever({ index, similarityTopK: 3 });
 * const hits = await retriever.retrieve({
 *   query: [
 *     { type: "text", text: "Which fruit is this?" },
 *     { type: "image_url", image_url: { url: "file:///photos/apple.png" } },
 *   ],
 * });
 * console.log(hits[0]?.score, hits[0]?.node.metadata.rgeRationale);
 */
export class RgeLlamaRetriever extends BaseRetriever {
  readonly index: VectorStoreIndex;
  readonly embedModel: RgeLlamaEmbedding;
  similarityTopK: number;
  filters: MetadataFilters | undefined;

  /** Throws `InvalidOptionError` (`RGE_INVALID_OPTION`) naming a wrong option, e.g. `similarityTopK: 1.5`. */
  constructor(options: RgeLlamaRetrieverOptions) {
    checkOptions(options ?? {}, "RgeLlamaRetriever's options", RETRIEVER_RULES);
    if (options?.index === undefined) RETRIEVER_RULES.index(undefined, "index");
    super();
    const embedModel = options.embedModel ?? options.index.embedModel;
    if (!(embedModel instanceof RgeLlamaEmbedding)) {
      throw new InvalidOptionError(
        "RgeLlamaRetriever needs an RgeLlamaEmbedding: pass { embedModel } or build the index with one as Settings.embedModel.",
      );
    }
    const topK = options.similarityTopK ?? DEFAULT_SIMILARITY_TOP_K;
    this.index = options.index;
    this.embedModel = embedModel;
    this.similarityTopK = topK;
    this.filters = options.filters;
  }

  /** @internal LlamaIndex calls this from `retrieve()`. */
  async _retrieve(params: QueryBundle): Promise<NodeWithScore[]> {
    rules.positiveInteger(this.similarityTopK, "similarityTopK"); // a public field: it may have been set since
    const query = await this.embedModel.embedQuery(params.query);
    const hits = await this.search(query, queryText(params.query));
    return hits.map(({ node, score }) => ({ node: withRationale(node, query), score }));
  }

  private async search(query: QueryEmbedding, queryStr: string): Promise<{ node: BaseNode; score: number }[]> {
    const queryEmbedding = Array.from(query.embedding);
    const best = new Map<string, { node: BaseNode; score: number }>();
    for (const store of new Set(Object.values(this.index.vectorStores) as BaseVectorStore[])) {
      const result = await store.query({
        queryEmbedding,
        queryStr,
        similarityTopK: this.similarityTopK,
        mode: VectorStoreQueryMode.DEFAULT,
        filters: this.filters,
      });
      for (const [i, id] of result.ids.entries()) {
        const score = result.similarities[i] ?? 0;
        if ((best.get(id)?.score ?? -Infinity) >= score) continue;
        const node = result.nodes?.[i] ?? (await this.storedNode(id));
        if (node) best.set(id, { node, score });
      }
    }
    return [...best.values()].sort((a, b) => b.score - a.score).slice(0, this.similarityTopK);
  }

  /** Vector stores that keep no text (e.g. `SimpleVectorStore`) return ids; the nodes live in the index. */
  private async storedNode(id: string): Promise<BaseNode | undefined> {
    return this.index.indexStruct.nodesDict[id] ?? (await this.index.docStore.getNode(id, false)) ?? undefined;
  }
}

const RETRIEVER_RULES = {
  index: (v: unknown, name: string) => {
    if (typeof v !== "object" || v === null || typeof (v as VectorStoreIndex).vectorStores !== "object") throw invalidOption(name, "a VectorStoreIndex", v);
  },
  similarityTopK: rules.positiveInteger,
  filters: (v: unknown, name: string) => {
    if (typeof v !== "object" || v === null || !Array.isArray((v as MetadataFilters).filters)) throw invalidOption(name, "MetadataFilters ({ filters: [...] })", v);
  },
};

function queryText(query: MessageContent): string {
  if (typeof query === "string") return query;
  return query.flatMap((part) => (part.type === "text" ? [part.text] : [])).join("\n");
}
