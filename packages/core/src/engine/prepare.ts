import { EmptyInputError, InputTooLongError, InvalidOptionError, throwIfAborted } from "../errors.js";
import type { Qwen25VlConfig } from "../graph/qwen2-5-vl/config.js";
import { DecodeSlots } from "../preprocess/image/decode-slots.js";
import type { ImageLoader } from "../preprocess/image/image-loader.js";
import type { ImageProcessorConfig } from "../preprocess/image/image-processor-config.js";
import { imageTokenCount, preprocessImage, type PreprocessedImage } from "../preprocess/image/qwen2-vl-image-processor.js";
import type { ImageSource } from "../preprocess/image/source-bytes.js";
import { DEFAULT_INSTRUCTIONS, expandImagePads, userText, type InputRole, type PromptTokens } from "../preprocess/prompt.js";
import { ropePositions } from "../preprocess/rope-index.js";
import type { RgeTokenizer } from "../preprocess/tokenizer.js";
import type { PreparedItem } from "./prepared-item.js";
import { yieldToEventLoop } from "../util/yield.js";

/** A query or a document: text, an image, or both, with an optional instruction. */
export interface RgeInput {
  /** The text of the query or document. */
  text?: string;
  /** A file path, `file://`/`data:` URL, http(s) URL (only with `allowNetwork`), or encoded image bytes (see `ImageSource`). */
  image?: ImageSource;
  /**
   * Task instruction put before the text. Default: a retrieval instruction for queries and a one-word
   * summary prefix for documents (see `DEFAULT_INSTRUCTIONS`); `null` sends the text alone.
   */
  instruction?: string | null;
  /**
   * The whole user turn, verbatim, for callers that must reproduce a reference prompt byte for byte (the MMEB
   * evaluation). It replaces `text` and `instruction`: nothing is added (no instruction, no newline). Put the
   * bundle's image placeholder (`<|vision_start|><|image_pad|><|vision_end|>` for Qwen2.5-VL) where the image
   * goes: exactly once when `image` is given, never otherwise.
   *
   * @example
   * { rawUserText: "<|vision_start|><|image_pad|><|vision_end|>\nAnswer the question based on the given image: Why?\n", image: "cat.jpg" }
   */
  rawUserText?: string;
}

export interface PrepareSettings {
  allowNetwork: boolean;
  maxImageBytes?: number;
  maxImagePixels?: number;
  /** Longest prompt + rationale in tokens. */
  maxTokens: number;
}

/** Turns inputs into token ids, preprocessed images and M-RoPE positions. */
export class InputPreparer {
  private readonly reserved: string[];
  /** Shared by every call on the model, so concurrent calls do not multiply full-size images in memory. */
  private readonly decodeSlots = new DecodeSlots();

  constructor(
    private readonly tokenizer: RgeTokenizer,
    private readonly tokens: PromptTokens,
    private readonly config: Qwen25VlConfig,
    private readonly imageConfig: ImageProcessorConfig,
    private readonly settings: PrepareSettings,
    private readonly images: ImageLoader,
  ) {
    // Every special token is reserved: user text holding `<|im_end|><|im_start|>assistant` would otherwise forge
    // a chat turn, since the tokenizer reads special-token strings in text as the tokens themselves.
    this.reserved = [...new Set([...tokenizer.specialTokens, tokens.visionStart, tokens.imagePad, tokens.visionEnd, tokens.emb])];
  }

  /**
   * Token prefixes many prompts share, for the prefix KV cache: the chat template up to the user's content,
   * alone and followed by each default text instruction. Empty when the template hides where content goes.
   */
  sharedPrefixes(): number[][] {
    const marker = "\u0001RGE-CONTENT\u0001";
    const rendered = this.tokenizer.applyChatTemplate([{ role: "user", content: marker }], { addGenerationPrompt: true });
    const at = rendered.indexOf(marker);
    if (at <= 0) return [];
    const head = rendered.slice(0, at);
    const texts = [head, `${head}${DEFAULT_INSTRUCTIONS.query.text}`, `${head}${DEFAULT_INSTRUCTIONS.target.text}`];
    return texts.map((t) => this.tokenizer.encode(t));
  }

  /**
   * @param role query or target (picks the default instruction)
   * @param withEmb append `<emb>` after the generation prompt (targets, and queries without reasoning)
   * @param budget tokens that will be generated after the prompt (0 for one forward pass)
   */
  async prepare(input: RgeInput, role: InputRole, withEmb: boolean, budget: number, signal?: AbortSignal): Promise<PreparedItem> {
    const text = validate(input);
    const hasImage = input.image !== undefined && input.image !== null;
    if (input.rawUserText === undefined) {
      for (const token of this.reserved) {
        if (text?.includes(token) || input.instruction?.includes(token)) {
          throw new InvalidOptionError(`Input text contains the reserved token ${token}; remove it (images go in \`image\`).`);
        }
      }
    } else checkRawUserText(input.rawUserText, hasImage, this.tokens, this.reserved);
    // Cheap bounds before any costly work (image decoding, tokenizing the whole prompt).
    await this.checkLength([input.rawUserText, text, input.instruction ?? undefined].filter((t): t is string => typeof t === "string"), budget, signal);
    const images = [];
    if (hasImage) {
      const processed = await this.prepareImage(input.image!, signal);
      images.push({ pixelValues: processed.pixelValues, grid: processed.grid });
    }
    const user =
      input.rawUserText ??
      userText({ ...(text !== undefined ? { text } : {}), hasImage, instruction: input.instruction }, role, this.tokens);
    const rendered = this.tokenizer.applyChatTemplate([{ role: "user", content: user }], { addGenerationPrompt: true });
    const prompt = expandImagePads(
      rendered + (withEmb ? this.tokens.emb : ""),
      this.tokens.imagePad,
      images.map((im) => imageTokenCount(im.grid, this.config.vision.spatialMergeSize)),
    );
    const ids = this.tokenizer.encode(prompt);
    if (ids.length + budget > this.settings.maxTokens) {
      throw new InputTooLongError(
        `Input is ${ids.length} tokens${budget ? ` plus up to ${budget} generated` : ""}, over the limit of ` +
          `${this.settings.maxTokens}. Shorten the text, use a smaller image, or lower maxNewTokens.`,
        ids.length + budget,
        this.settings.maxTokens,
      );
    }
    const positions = ropePositions(
      ids,
      images.map((im) => im.grid),
      this.config.imageTokenId,
      this.config.vision.spatialMergeSize,
    );
    return { ids, images, positions };
  }

  /**
   * Refuses texts that cannot fit before tokenizing the prompt: at once when they have more characters than
   * {@link MAX_CHARS_PER_TOKEN} per allowed token, else by counting long texts' tokens piece by piece (yielding
   * between pieces, so a huge text neither blocks the event loop nor is tokenized whole).
   */
  private async checkLength(texts: readonly string[], budget: number, signal: AbortSignal | undefined): Promise<void> {
    const limit = this.settings.maxTokens - budget;
    const chars = texts.reduce((n, t) => n + t.length, 0);
    const tooLong = (tokens: number, how: string) =>
      new InputTooLongError(
        `Input text is ${how} ${tokens} tokens${budget ? ` before up to ${budget} generated` : ""}, over the limit of ` +
          `${this.settings.maxTokens}. Shorten the text or lower maxNewTokens.`,
        tokens + budget,
        this.settings.maxTokens,
      );
    if (chars > Math.max(limit, 0) * MAX_CHARS_PER_TOKEN) throw tooLong(Math.ceil(chars / MAX_CHARS_PER_TOKEN), "at least");
    if (chars <= COUNT_CHUNK_CHARS) return;
    let counted = 0;
    for (const text of texts) {
      for (let at = 0; at < text.length; at += COUNT_CHUNK_CHARS) {
        counted += this.tokenizer.encode(text.slice(at, at + COUNT_CHUNK_CHARS)).length;
        // Pieces split words, so the count can run a few tokens over; the prompt's own count decides near the limit.
        if (counted > limit + 8 * Math.ceil(text.length / COUNT_CHUNK_CHARS)) throw tooLong(counted, "about");
        await yieldToEventLoop();
        throwIfAborted(signal);
      }
    }
  }

  /** Reads (at most `maxImageBytes`), then decodes and resizes in a decode slot: the full-size image lives that long. */
  private async prepareImage(image: ImageSource, signal: AbortSignal | undefined): Promise<PreprocessedImage> {
    const { maxImageBytes, maxImagePixels } = this.settings;
    const source = await this.images.read(image, {
      allowNetwork: this.settings.allowNetwork,
      ...(maxImageBytes !== undefined ? { maxImageBytes } : {}),
      ...(signal ? { signal } : {}),
    });
    return this.decodeSlots.run(async () => {
      const rgb = await this.images.decode(source.bytes, {
        description: source.description,
        ...(maxImagePixels !== undefined ? { maxImagePixels } : {}),
      });
      throwIfAborted(signal);
      return preprocessImage(rgb, this.imageConfig);
    }, signal);
  }
}

/**
 * No token of a tokenizer covers more characters than this in practice (Qwen's longest merges are runs of
 * punctuation or spaces); text with more characters per allowed token is refused before it is tokenized.
 */
const MAX_CHARS_PER_TOKEN = 16;
/** Long texts are counted in pieces of this many characters, yielding to the event loop between pieces. */
const COUNT_CHUNK_CHARS = 32_768;

function validate(input: RgeInput): string | undefined {
  if (input === null || typeof input !== "object") {
    throw new EmptyInputError(`Expected an input object like { text, image }, got ${input === null ? "null" : typeof input}.`);
  }
  if (input.rawUserText !== undefined) {
    if (typeof input.rawUserText !== "string") throw new InvalidOptionError(`"rawUserText" must be a string, got ${typeof input.rawUserText}.`);
    if (input.text !== undefined || input.instruction !== undefined) {
      throw new InvalidOptionError('"rawUserText" is the whole user turn; leave "text" and "instruction" unset with it.');
    }
    if (input.rawUserText.length === 0 && (input.image === undefined || input.image === null)) {
      throw new EmptyInputError("Input has an empty rawUserText and no image; give at least one.");
    }
    return undefined;
  }
  if (input.text !== undefined && typeof input.text !== "string") {
    throw new InvalidOptionError(`"text" must be a string, got ${typeof input.text}.`);
  }
  if (input.instruction !== undefined && input.instruction !== null && typeof input.instruction !== "string") {
    throw new InvalidOptionError(`"instruction" must be a string or null, got ${typeof input.instruction}.`);
  }
  const hasText = typeof input.text === "string" && input.text.trim().length > 0;
  if (!hasText && (input.image === undefined || input.image === null)) {
    throw new EmptyInputError("Input has neither text nor an image; give at least one.");
  }
  return hasText ? input.text : undefined;
}

/** A verbatim user turn may hold the image placeholder once, where the image goes, and no other reserved token. */
function checkRawUserText(raw: string, hasImage: boolean, tokens: PromptTokens, reserved: readonly string[]): void {
  const placeholder = `${tokens.visionStart}${tokens.imagePad}${tokens.visionEnd}`;
  const count = raw.split(placeholder).length - 1;
  if (count !== (hasImage ? 1 : 0)) {
    throw new InvalidOptionError(
      `rawUserText holds the image placeholder ${placeholder} ${count} times; it must appear ` +
        (hasImage ? "exactly once, where the image goes." : "only when an image is given."),
    );
  }
  const rest = raw.split(placeholder).join("");
  for (const token of reserved) {
    if (rest.includes(token)) {
      throw new InvalidOptionError(`rawUserText contains the reserved token ${token} outside the image placeholder ${placeholder}; remove it.`);
    }
  }
}
