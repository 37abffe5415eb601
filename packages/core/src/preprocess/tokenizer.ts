import { Tokenizer } from "@huggingface/tokenizers";
import { ChatTemplate, type ChatMessage, type TemplateVariables } from "./chat-template.js";

/**
 * What the engine needs from a tokenizer: prompts in, ids out, generated ids back to text. Our own shape, so no
 * third-party type reaches the engine or the public declarations.
 */
export interface RgeTokenizer {
  /** Id of the padding token (tokenizer_config's `pad_token`, else its `eos_token`); undefined when neither is a token. */
  readonly padTokenId: number | undefined;
  /** Every added token marked special (`<|im_start|>`, `<emb>`, …): user text must not contain them. */
  readonly specialTokens: readonly string[];
  /**
   * Text → ids, as written: special-token strings in the text become those tokens, and nothing is added around
   * the text (no BOS or EOS; the chat template already wrote every special token the prompt needs).
   */
  encode(text: string): number[];
  /** Ids → text. Special tokens are kept unless `skipSpecialTokens`; no ids give "". */
  decode(ids: readonly number[], options?: { skipSpecialTokens?: boolean }): string;
  /** Renders the bundle's chat template for `messages`; throws a plain Error when it is missing or does not render. */
  applyChatTemplate(messages: readonly ChatMessage[], options?: { addGenerationPrompt?: boolean }): string;
}

/** The special tokens a chat template may refer to by name, as transformers.js passes them. */
const TEMPLATE_TOKEN_NAMES = ["bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"];

type Json = Record<string, unknown>;

/**
 * The calls we make on `@huggingface/tokenizers`' `Tokenizer`. Its shipped declarations re-export without file
 * extensions, which NodeNext resolution cannot follow, so the import types as `any`; this keeps our calls checked.
 */
interface LibraryTokenizer {
  encode(text: string, options: { add_special_tokens: boolean }): { ids: number[] };
  decode(ids: number[], options: { skip_special_tokens: boolean }): string;
  token_to_id(token: string): number | undefined;
  get_added_tokens_decoder(): Map<number, { content: string; special: boolean }>;
}

/**
 * A bundle's tokenizer (tokenizer.json + tokenizer_config.json) on `@huggingface/tokenizers`, the library
 * transformers.js builds its `PreTrainedTokenizer` on; it reproduces that class's ids, text and prompts.
 *
 * @example
 * const tokenizer = new BundleTokenizer(bundle.tokenizerJson, bundle.tokenizerConfig);
 * const prompt = tokenizer.applyChatTemplate([{ role: "user", content: "red car\n" }], { addGenerationPrompt: true });
 * const ids = tokenizer.encode(prompt);
 */
export class BundleTokenizer implements RgeTokenizer {
  readonly padTokenId: number | undefined;
  readonly specialTokens: readonly string[];
  private readonly tokenizer: LibraryTokenizer;
  private readonly chatTemplate: ChatTemplate;

  constructor(
    tokenizerJson: Json,
    private readonly tokenizerConfig: Json,
  ) {
    // The config goes in whole: the library reads clean_up_tokenization_spaces, remove_space and the like from it.
    this.tokenizer = new Tokenizer(tokenizerJson, tokenizerConfig) as LibraryTokenizer;
    const pad = configToken(tokenizerConfig, "pad_token") ?? configToken(tokenizerConfig, "eos_token");
    this.padTokenId = pad === null ? undefined : this.tokenizer.token_to_id(pad);
    this.specialTokens = [...this.tokenizer.get_added_tokens_decoder().values()].filter((t) => t.special).map((t) => t.content);
    this.chatTemplate = new ChatTemplate(tokenizerConfig.chat_template);
  }

  encode(text: string): number[] {
    return this.tokenizer.encode(text, { add_special_tokens: false }).ids;
  }

  decode(ids: readonly number[], options: { skipSpecialTokens?: boolean } = {}): string {
    if (ids.length === 0) return ""; // the library throws on an empty list; a rationale may be empty
    return this.tokenizer.decode(ids as number[], { skip_special_tokens: options.skipSpecialTokens ?? false });
  }

  applyChatTemplate(messages: readonly ChatMessage[], options: { addGenerationPrompt?: boolean } = {}): string {
    // Read at each render, as transformers.js does, so a malformed entry fails here (a typed error upstream), not at load.
    const variables: TemplateVariables = {};
    for (const name of TEMPLATE_TOKEN_NAMES) {
      const token = configToken(this.tokenizerConfig, name);
      if (token) variables[name] = token;
    }
    return this.chatTemplate.render(messages, options.addGenerationPrompt ?? false, variables);
  }
}

/** A special token named in tokenizer_config.json: a string, or an `AddedToken` object; null when unset. */
function configToken(config: Json, name: string): string | null {
  if (!Object.hasOwn(config, name)) return null;
  const value = config[name];
  if (!value) return null;
  if (typeof value === "string") return value;
  if (typeof value === "object" && (value as Json).__type === "AddedToken" && typeof (value as Json).content === "string") {
    return (value as Json).content as string;
  }
  throw new Error(`tokenizer_config.json's ${name} must be a string or an AddedToken object, found ${JSON.stringify(value)}`);
}
