import type { DocumentInterface } from "@langchain/core/documents";
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { exampleCorpus } from "@rge/example-langchain-rag";
import { RationaleCallbackHandler, RgeEmbeddings, RgeRetriever } from "@rge/langchain";
import { RetrievalChatbot, type ChatReply } from "./chatbot.js";
import type { ChatTurn } from "./turns.js";

export interface ChatbotOptions {
  chatModel?: BaseChatModel;
  /** Receives each line of the conversation and each rationale. Default `console.log`. */
  print?: (line: string) => void;
  maxNewTokens?: number;
  /** Documents to retrieve from. Default: the LangChain RAG example's corpus (passages and pictures). */
  corpus?: DocumentInterface[];
}

/** Indexes the example corpus, then plays the turns through the chatbot, printing the conversation. */
export async function runChatbot(bundleDir: string, turns: AsyncIterable<ChatTurn> | Iterable<ChatTurn>, options: ChatbotOptions = {}): Promise<ChatReply[]> {
  const print = options.print ?? ((line: string) => console.log(line));
  const embeddings = new RgeEmbeddings({ model: bundleDir, ...(options.maxNewTokens ? { maxNewTokens: options.maxNewTokens } : {}) });
  try {
    const retriever = await RgeRetriever.fromDocuments(options.corpus ?? (await exampleCorpus()), { embeddings, k: 2 });
    const handler = new RationaleCallbackHandler({ print: (line) => print(`  ${line}`) });
    const bot = new RetrievalChatbot(retriever, options.chatModel, [handler]);
    const replies: ChatReply[] = [];
    for await (const turn of turns) {
      if (!turn.text && !turn.image) continue;
      print(`you: ${turn.text}${turn.image ? ` [image: ${turn.image}]` : ""}`);
      const reply = await bot.reply(turn);
      print(`  sources: ${reply.sources.map((s) => `${s.id} (${s.score.toFixed(3)})`).join(", ")}`);
      print(`bot: ${reply.reply}`);
      replies.push(reply);
    }
    return replies;
  } finally {
    await embeddings.dispose();
  }
}
