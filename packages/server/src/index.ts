export { createRgeServer, type RgeServerOptions } from "./server.js";
export type { ContentPart, EmbeddingItem, EmbeddingsRequest, EmbeddingsResponse, EmbeddingsUsage, ErrorBody, ModelList, ServedModel } from "@rge/core";
