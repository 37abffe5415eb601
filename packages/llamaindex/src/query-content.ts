import { ImageSourceError, InvalidOptionError, type ImageSource, type RgeInput } from "@rge/core";
import type { ImageType, MessageContent, MessageContentDetail } from "llamaindex";

/**
 * A LlamaIndex image (a path or URL string, a `URL`, or a `Blob`) as an RGE image source.
 * Paths, `file:` and `data:` URLs are read locally; `http(s):` URLs only load with `allowNetwork`.
 *
 * @example
 * const input = { image: await toImageSource(imageNode.image) };
 */
export async function toImageSource(image: ImageType): Promise<ImageSource> {
  if (typeof image === "string") return image;
  if (image instanceof URL) return image.href;
  if (image instanceof Blob) return new Uint8Array(await image.arrayBuffer());
  throw new ImageSourceError(
    `Unsupported LlamaIndex image of type ${describe(image)}. Pass a path or URL string, a URL, or a Blob.`,
  );
}

/** Whether RGE can embed this content part (text and images; not audio, video or files). */
export function isEmbeddablePart(part: MessageContentDetail): boolean {
  return part.type === "text" || part.type === "image_url" || part.type === "image";
}

/**
 * A LlamaIndex query (a string, or content parts) as one RGE input: the text parts joined by newlines
 * and at most one image, so text and image are embedded jointly in one reasoning pass.
 *
 * @example
 * toQueryInput([{ type: "text", text: "What is this?" }, { type: "image_url", image_url: { url: "file:///a.png" } }]);
 * // → { text: "What is this?", image: "file:///a.png" }
 */
export function toQueryInput(content: MessageContent): RgeInput {
  if (typeof content === "string") return { text: content };
  const texts: string[] = [];
  const images: ImageSource[] = [];
  for (const part of content) {
    if (part.type === "text") texts.push(part.text);
    else if (part.type === "image_url") images.push(part.image_url.url);
    else if (part.type === "image") images.push(new Uint8Array(Buffer.from(part.data, "base64")));
    else throw new InvalidOptionError(`RGE embeds text and images; the query has a "${part.type}" part. Remove it.`);
  }
  if (images.length > 1) {
    throw new InvalidOptionError(`RGE embeds at most one image per query; the query has ${images.length}. Send one image per query.`);
  }
  return {
    ...(texts.length > 0 ? { text: texts.join("\n") } : {}),
    ...(images[0] !== undefined ? { image: images[0] } : {}),
  };
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "object") return value.constructor?.name ?? "object";
  return typeof value;
}
