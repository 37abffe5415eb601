import type { BaseMessage } from "@langchain/core/messages";
import { SimpleChatModel } from "@langchain/core/language_models/chat_models";

/**
 * A stand-in chat model that needs no API key: it answers by pointing at the first retrieved source in
 * its prompt. Swap it for any LangChain chat model (e.g. `new ChatOpenAI()`) for real answers.
 */
export class OfflineChatModel extends SimpleChatModel {
  static override lc_name(): string {
    return "OfflineChatModel";
  }

  _llmType(): string {
    return "offline";
  }

  async _call(messages: BaseMessage[]): Promise<string> {
    const prompt = messages.map((m) => m.text).join("\n");
    const first = /^\[1\] (.*)$/m.exec(prompt)?.[1];
    return first ? `(offline model) The best match is ${first}` : "(offline model) Nothing relevant was retrieved.";
  }
}
