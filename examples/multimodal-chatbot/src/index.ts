export { RetrievalChatbot, type ChatReply } from "./chatbot.js";
export { runChatbot, type ChatbotOptions } from "./run-chatbot.js";
export { parseTurn, type ChatTurn } from "./turns.js";
