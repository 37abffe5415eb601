// What the later blocks of packages/langchain/README.md take from its quick start and their surrounding text: the
// classes, an embedder of the bundle, documents (text and image ones), a chain that starts with the retriever and a
// question for it, and a UI to append rationale pieces to.
import { Document, type DocumentInterface } from "@langchain/core/documents";
import { ChatPromptTemplate } from "@langchain/core/prompts";
import { OfflineChatModel } from "@rge/example-langchain-rag";
import { RgeEmbeddings, RgeRetriever } from "@rge/langchain";

export { Document } from "@langchain/core/documents";
export { RationaleCallbackHandler, RgeEmbeddings, RgeRetriever } from "@rge/langchain";

export const embeddings = new RgeEmbeddings({ model: "./rge-bundle" });
export const textDocuments = [
  new Document({ pageContent: "Apples are round fruits, usually red or green." }),
  new Document({ pageContent: "The moon lights the sky at night." }),
];
export const imageDocuments = [new Document({ pageContent: "", metadata: { image: "./photos/night-sky.png" } })];
export const docs = [...textDocuments, ...imageDocuments];
export const documents = docs;

const retriever = new RgeRetriever({ embeddings, k: 2 });
await retriever.addDocuments(docs);
const formatDocs = (found: DocumentInterface[]) => ({ context: found.map((d, i) => `[${i + 1}] ${d.pageContent || d.metadata.image}`).join("\n") });
export const chain = retriever.pipe(formatDocs).pipe(ChatPromptTemplate.fromTemplate("Answer from these sources:\n{context}")).pipe(new OfflineChatModel({}));
export const question = "What lights the sky at night?";

const pieces = new Map<string, string>();
export const ui = {
  append(runId: string, text: string) {
    pieces.set(runId, (pieces.get(runId) ?? "") + text);
  },
};
