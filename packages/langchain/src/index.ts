export { RgeEmbeddings, type RgeEmbeddingsParams, type RgeQueryCallOptions, type RgeQueryResult } from "./embeddings/rge-embeddings.js";
export type { CachedRationale, RationaleCache } from "./embeddings/rationale-cache.js";
export { RgeRetriever, type RgeRetrievalMetadata, type RgeRetrieverInput } from "./retriever/rge-retriever.js";
export { RgeVectorStore, type RgeAddOptions } from "./vectorstore/rge-vector-store.js";
export {
  RationaleCallbackHandler,
  formatRationale,
  type RationaleCallbackHandlerOptions,
  type RationaleRecord,
} from "./rationale/rationale-callback-handler.js";
export { RATIONALE_EVENT, RATIONALE_TOKEN_EVENT, type RationaleEvent, type RationaleTokenEvent } from "./rationale/rationale-event.js";
export { RATIONALE_RUN_NAME } from "./rationale/rationale-run.js";
export type { RgeImage, RgeMultimodalInput, RgeQuery } from "./inputs/rge-query.js";
export type { ImageContentBlock } from "./inputs/image-block.js";
export { IMAGE_METADATA_KEY, type RgeDocumentInput } from "./inputs/document-input.js";
export { DimensionMismatchError, VectorStoreFileError } from "./errors.js";
