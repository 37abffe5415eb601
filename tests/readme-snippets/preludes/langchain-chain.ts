// What the root README's LangChain fragment uses without declaring it: the classes, a few documents, a formatter,
// a prompt and a chat model (the langchain-rag example's offline one, which needs no API key).
import { Document, type DocumentInterface } from "@langchain/core/documents";
import { ChatPromptTemplate } from "@langchain/core/prompts";
import { OfflineChatModel } from "@rge/example-langchain-rag";

export { RationaleCallbackHandler, RgeEmbeddings, RgeRetriever } from "@rge/langchain";

export const docs = [
  new Document({ pageContent: "Strawberries and cherries are red fruits." }),
  new Document({ pageContent: "Bananas are yellow." }),
  new Document({ pageContent: "", metadata: { image: "./photos/apple.png" } }),
];
export const formatDocs = (found: DocumentInterface[]) => ({ context: found.map((d, i) => `[${i + 1}] ${d.pageContent || d.metadata.image}`).join("\n") });
export const prompt = ChatPromptTemplate.fromTemplate("Answer from these sources:\n{context}");
export const chatModel = new OfflineChatModel({});
