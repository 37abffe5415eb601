import { Document, type DocumentInterface } from "@langchain/core/documents";
import { IMAGE_METADATA_KEY } from "../inputs/document-input.js";
import { imageSourceFromAnyBlock, isImageContentBlock } from "../inputs/image-block.js";

/**
 * A copy of `document` whose `metadata.image` is a string: bytes and content blocks become `data:` URLs
 * (which read back as the same image), paths and URLs stay. For stores that keep metadata as columns or
 * JSON, where bytes would turn into text such as "137,80,78,...".
 */
export function withImageAsText(document: DocumentInterface): DocumentInterface {
  const image = document.metadata?.[IMAGE_METADATA_KEY];
  const copy = new Document({ pageContent: document.pageContent, metadata: { ...document.metadata }, ...(document.id !== undefined ? { id: document.id } : {}) });
  if (image !== undefined && image !== null && typeof image !== "string") copy.metadata[IMAGE_METADATA_KEY] = imageText(image);
  return copy;
}

function imageText(image: unknown): unknown {
  const source = isImageContentBlock(image) ? imageSourceFromAnyBlock(image) : image;
  if (typeof source === "string") return source;
  const bytes = source instanceof Uint8Array || source instanceof ArrayBuffer ? source : (source as { data?: unknown } | null)?.data;
  if (!(bytes instanceof Uint8Array || bytes instanceof ArrayBuffer)) return image; // not an image: left for the embedder's error
  const view = bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : bytes;
  return `data:application/octet-stream;base64,${Buffer.from(view.buffer, view.byteOffset, view.byteLength).toString("base64")}`;
}
