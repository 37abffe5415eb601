import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { AIMessage, HumanMessage, type BaseMessage } from "@langchain/core/messages";
import { StringOutputParser } from "@langchain/core/output_parsers";
import { ChatPromptTemplate, MessagesPlaceholder } from "@langchain/core/prompts";
import type { Callbacks } from "@langchain/core/callbacks/manager";
import { OfflineChatModel, pngBytes } from "@rge/example-langchain-rag";
import type { RgeRetriever } from "@rge/langchain";
import type { ChatTurn } from "./turns.js";

/** What one turn produced: the reply and the sources the retriever found for it. */
export interface ChatReply {
  reply: string;
  sources: { id: string; score: number }[];
  rationale: string;
}

/**
 * A chat loop with retrieval: each user turn becomes a `HumanMessage` with a text block and, when the user
 * attached one, an image block; the retriever embeds both together (RGE reasons about the pair), and the
 * chat model answers from the retrieved sources and the conversation so far.
 */
export class RetrievalChatbot {
  private readonly history: BaseMessage[] = [];
  private readonly prompt = ChatPromptTemplate.fromMessages([
    ["system", "You are a helpful assistant. Answer from the numbered sources.\nSources:\n{context}"],
    new MessagesPlaceholder("history"),
    ["human", "{question}"],
  ]);

  constructor(
    private readonly retriever: RgeRetriever,
    private readonly chatModel: BaseChatModel = new OfflineChatModel({}),
    private readonly callbacks?: Callbacks,
  ) {}

  async reply(turn: ChatTurn): Promise<ChatReply> {
    const message = new HumanMessage({ contentBlocks: [{ type: "text", text: turn.text }, ...(turn.image ? [await imageBlock(turn.image)] : [])] });
    const docs = await this.retriever.invoke(message, { ...(this.callbacks ? { callbacks: this.callbacks } : {}) });
    const context = docs.map((d, i) => `[${i + 1}] ${d.metadata.source}${d.pageContent ? `: ${d.pageContent}` : ""}`).join("\n");
    const chain = this.prompt.pipe(this.chatModel).pipe(new StringOutputParser());
    const question = turn.image ? `${turn.text} (image attached)` : turn.text;
    const reply = await chain.invoke({ context, history: this.history, question }, { ...(this.callbacks ? { callbacks: this.callbacks } : {}) });
    // History keeps the words only: the image was used for retrieval, and a text-only chat model could not read it.
    this.history.push(new HumanMessage(question), new AIMessage(reply));
    return { reply, sources: docs.map((d) => ({ id: d.id!, score: d.metadata.rge.score })), rationale: String(docs[0]?.metadata.rge.rationale ?? "") };
  }
}

/** Reads an attached image as a chat UI would send it: a base64 PNG image block (drawings are rendered). */
async function imageBlock(path: string): Promise<{ type: "image"; data: string; mimeType: string }> {
  return { type: "image", data: Buffer.from(await pngBytes(path)).toString("base64"), mimeType: "image/png" };
}
