// What the later blocks of packages/langchain/README.md take from its quick start: the classes, an embedder of the
// bundle and the documents, one of them an image.
import { Document } from "@langchain/core/documents";
import { RgeEmbeddings } from "@rge/langchain";

export { Document } from "@langchain/core/documents";
export { RationaleCallbackHandler, RgeEmbeddings, RgeRetriever } from "@rge/langchain";

export const embeddings = new RgeEmbeddings({ model: "./rge-bundle" });
export const docs = [
  new Document({ pageContent: "Apples are round fruits, usually red or green." }),
  new Document({ pageContent: "", metadata: { image: "./photos/night-sky.png" } }),
];
