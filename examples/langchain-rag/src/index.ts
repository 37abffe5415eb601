export { runRag, exampleQuestions, type RagAnswer, type RagOptions } from "./rag.js";
export { exampleCorpus, assetPath, pngBytes, demoModelCorpus, demoModelQuestions } from "./corpus.js";
export { OfflineChatModel } from "./offline-chat-model.js";
