export { createRgeServer, type RgeServerOptions } from "./server.js";
export type { ContentPart, EmbeddingsRequest } from "./embeddings-request.js";
