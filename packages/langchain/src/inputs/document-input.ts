import type { RgeInput } from "@rge/core";
import type { DocumentInterface } from "@langchain/core/documents";
import { multimodalToInput, withInstruction, type RgeImage, type RgeMultimodalInput } from "./rge-query.js";

/**
 * The metadata key that carries a document's image: `new Document({ pageContent, metadata: { image } })`.
 * The value is any {@link RgeImage}; prefer a path or a `data:` URL so the document persists as JSON.
 */
export const IMAGE_METADATA_KEY = "image";

/** What a document can be: its text, a multimodal input, or a LangChain `Document` (image in `metadata.image`). */
export type RgeDocumentInput = string | RgeMultimodalInput | DocumentInterface;

export function isDocument(value: unknown): value is DocumentInterface {
  return value !== null && typeof value === "object" && typeof (value as { pageContent?: unknown }).pageContent === "string";
}

/** Turns any accepted document form into the core's input, filling in `instruction` when it has none. */
export function documentToInput(document: RgeDocumentInput, instruction?: string | null): RgeInput {
  if (typeof document === "string") return withInstruction({ text: document }, instruction);
  if (!isDocument(document)) return withInstruction(multimodalToInput(document), instruction);
  const image = document.metadata?.[IMAGE_METADATA_KEY] as RgeImage | undefined;
  const input: RgeMultimodalInput = {
    ...(document.pageContent.trim() ? { text: document.pageContent } : {}),
    ...(image !== undefined && image !== null ? { image } : {}),
  };
  return withInstruction(multimodalToInput(input), instruction);
}
