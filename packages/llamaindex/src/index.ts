export { RgeLlamaEmbedding, type RgeLlamaEmbeddingLoadOptions, type RgeLlamaEmbeddingParams } from "./rge-llama-embedding.js";
export { RgeLlamaRetriever, type RgeLlamaRetrieverOptions } from "./rge-llama-retriever.js";
export { RATIONALE_METADATA_KEYS, type RationaleMetadata } from "./rationale-metadata.js";
export { toImageSource, toQueryInput } from "./query-content.js";
export type { RgeRationaleEvent, RgeRationaleTokenEvent } from "./rationale-events.js";
