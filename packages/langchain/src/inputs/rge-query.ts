import { InvalidOptionError, type ImageSource, type RgeInput } from "@rge/core";
import { isBaseMessage, type BaseMessage } from "@langchain/core/messages";
import { imageSourceFromAnyBlock, isImageBlockType, imageSourceFromBlock, isImageContentBlock, type ImageContentBlock } from "./image-block.js";

/**
 * An image for RGE: a file path, a `file:`/`data:` URL, an `http(s):` URL (when the model allows network),
 * encoded bytes, or a LangChain image content block.
 */
export type RgeImage = ImageSource | ImageContentBlock;

/** A query or document with what the string interface cannot carry: an image and an instruction. */
export interface RgeMultimodalInput {
  /** The text. Optional when there is an image. */
  text?: string;
  /** The image, if any. */
  image?: RgeImage;
  /** Task instruction before the text; `null` sends the text alone. Default: the embedder's instruction, else the core's. */
  instruction?: string | null;
}

/** What a query can be: plain text, a multimodal input, or a chat message with text and image blocks. */
export type RgeQuery = string | RgeMultimodalInput | BaseMessage;

/** Turns any accepted query form into the core's input, filling in `instruction` when the query has none. */
export function queryToInput(query: RgeQuery, instruction?: string | null): RgeInput {
  const input = isBaseMessage(query) ? messageToInput(query) : multimodalToInput(typeof query === "string" ? { text: query } : query);
  return withInstruction(input, instruction);
}

/** Converts a multimodal input's image (block or source) to the core's `ImageSource`. */
export function multimodalToInput(input: RgeMultimodalInput): RgeInput {
  if (input === null || typeof input !== "object") {
    throw new InvalidOptionError(`Expected a string, { text?, image?, instruction? } or a message, got ${input === null ? "null" : typeof input}.`);
  }
  const { image, ...rest } = input;
  if (image === undefined || image === null) return rest;
  return { ...rest, image: isImageContentBlock(image) ? imageSourceFromAnyBlock(image) : image };
}

/** Reads a message's text blocks (joined by newlines) and its one image block. */
export function messageToInput(message: BaseMessage): RgeInput {
  const texts: string[] = [];
  const images: ImageSource[] = [];
  for (const block of message.contentBlocks) {
    if (block.type === "text" && typeof block.text === "string") texts.push(block.text);
    else if (isImageBlockType(block.type)) images.push(imageSourceFromBlock(block as unknown as Record<string, unknown>));
  }
  if (images.length > 1) {
    throw new InvalidOptionError(`RGE embeds one image per query; the message has ${images.length} image blocks. Send them as separate queries.`);
  }
  const text = texts.join("\n");
  return { ...(text.trim() ? { text } : {}), ...(images[0] !== undefined ? { image: images[0] } : {}) };
}

export function withInstruction(input: RgeInput, instruction: string | null | undefined): RgeInput {
  return input.instruction === undefined && instruction !== undefined ? { ...input, instruction } : input;
}
