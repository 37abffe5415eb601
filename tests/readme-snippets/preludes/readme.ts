// What the fragments of the repository's README use without declaring it. LangChain.js: the classes, a few
// documents, a formatter, a prompt and a chat model (the langchain-rag example's offline one, which needs no API key).
// Streaming rationales: a loaded model, a few questions and a function that shows a piece.
import { Document, type DocumentInterface } from "@langchain/core/documents";
import { ChatPromptTemplate } from "@langchain/core/prompts";
import { loadRgeModel, type RgeInput } from "@rge/core";
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

export const model = await loadRgeModel("./rge-bundle");
export const questions: RgeInput[] = [{ text: "Which animal is striped?" }, { text: "What is in this picture?", image: "./tiger.png" }];
export const show = (index: number, text: string) => console.log(`[${index}] ${text}`);
