import { Template } from "@huggingface/jinja";

/** One turn of a conversation, as chat templates read it (`messages[i].role`, `messages[i].content`). */
export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

/** Variables a template sees besides `messages` and `add_generation_prompt` (the special tokens, by name). */
export type TemplateVariables = Record<string, string>;

/**
 * A bundle's chat template (the `chat_template` field of tokenizer_config.json), rendered with
 * `@huggingface/jinja` the way transformers.js renders it: the template is picked and compiled on first
 * use, so a missing or broken one fails where the caller can turn it into a typed error.
 */
export class ChatTemplate {
  private compiled: Template | undefined;

  /** @param field `chat_template` as stored: a string, or a list of `{ name, template }` (the default one is used). */
  constructor(private readonly field: unknown) {}

  /**
   * Renders `messages`. transformers.js passes `tools` and `documents` as null and the special tokens by
   * name; templates test them (`{% if tools %}`), so they are passed the same way.
   */
  render(messages: readonly ChatMessage[], addGenerationPrompt: boolean, variables: TemplateVariables): string {
    this.compiled ??= new Template(pickTemplate(this.field));
    return this.compiled.render({
      messages,
      add_generation_prompt: addGenerationPrompt,
      tools: null,
      documents: null,
      ...variables,
    });
  }
}

/** The template text: the field itself, or the entry named "default" of a list of named templates. */
function pickTemplate(field: unknown): string {
  if (typeof field === "string" && field.length > 0) return field;
  if (Array.isArray(field)) {
    const named = new Map<string, string>();
    for (const entry of field as { name?: unknown; template?: unknown }[]) {
      if (typeof entry?.name !== "string" || typeof entry.template !== "string") {
        throw new Error('chat_template must be a string or a list of objects with "name" and "template" properties');
      }
      named.set(entry.name, entry.template);
    }
    const template = named.get("default");
    if (template === undefined) {
      throw new Error(`chat_template has several templates and none named "default" (found: ${[...named.keys()].sort().join(", ")})`);
    }
    return template;
  }
  throw new Error(`chat_template must be a non-empty string, found ${field === undefined ? "none" : typeof field}`);
}
