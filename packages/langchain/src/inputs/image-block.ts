import { ImageSourceError, type ImageSource } from "@rge/core";
import { HumanMessage } from "@langchain/core/messages";

/**
 * A LangChain image content block in any of its dialects: v1 `{type:"image", url | data (+mimeType)}`,
 * v0.3 `{type:"image", source_type, url | data}`, or OpenAI style `{type:"image_url", image_url}`.
 */
export interface ImageContentBlock {
  type: "image" | "image_url";
  [key: string]: unknown;
}

/** `contentBlocks` is typed to yield only v1 blocks, but passes OpenAI `image_url` blocks with a bare string through. */
export function isImageBlockType(type: string | undefined): boolean {
  return type === "image" || type === "image_url";
}

/** Whether a value looks like a LangChain image content block (rather than a path, URL or bytes). */
export function isImageContentBlock(value: unknown): value is ImageContentBlock {
  if (value === null || typeof value !== "object" || value instanceof Uint8Array || value instanceof ArrayBuffer) return false;
  const type = (value as { type?: unknown }).type;
  return typeof type === "string" && isImageBlockType(type);
}

/**
 * Turns a v1-normalised image block (`message.contentBlocks` output) into an image source the core reads:
 * a URL string (path, `file:`, `data:`, `http(s):`) or bytes. Provider file ids cannot be resolved locally.
 */
export function imageSourceFromBlock(block: Record<string, unknown>): ImageSource {
  if (typeof block.url === "string") return block.url;
  // LangChain leaves OpenAI-style blocks whose image_url is a bare string un-normalised.
  if (typeof block.image_url === "string") return block.image_url;
  const data = block.data;
  if (data instanceof Uint8Array) return data;
  if (typeof data === "string") {
    const mimeType = typeof block.mimeType === "string" ? block.mimeType : "application/octet-stream";
    return data.startsWith("data:") ? data : `data:${mimeType};base64,${data}`;
  }
  if (typeof block.fileId === "string") {
    throw new ImageSourceError(
      `Image block refers to a provider file id ("${block.fileId}"), which RGE cannot read locally. ` +
        `Pass the image as a url, base64 data or bytes instead.`,
    );
  }
  throw new ImageSourceError(`Image block has no url, data or fileId: ${JSON.stringify(Object.keys(block))}.`);
}

/** Normalises one image block of any dialect (through LangChain's own content-block parsing) to an image source. */
export function imageSourceFromAnyBlock(block: ImageContentBlock): ImageSource {
  const [normalised] = new HumanMessage({ content: [block as never] }).contentBlocks;
  if (!isImageBlockType(normalised?.type)) {
    throw new ImageSourceError(`Expected an image content block, got one of type "${String(normalised?.type ?? block.type)}".`);
  }
  return imageSourceFromBlock(normalised as unknown as Record<string, unknown>);
}
