/** Which side of retrieval an input is on; it picks the default instruction and the prompt ending. */
export type InputRole = "query" | "target";

/**
 * Default instructions, following the training format (unprompted text is out of the model's
 * distribution). Queries get a retrieval instruction; targets a one-word summary prefix.
 */
export const DEFAULT_INSTRUCTIONS = {
  query: {
    text: "Describe and represent the following query for retrieval:",
    image: "Describe and represent the given image for retrieval.",
    imageText: "Answer the question based on the given image:",
  },
  target: {
    text: "Summarize the following passage in one word:",
    image: "Summarize the given image in one word.",
    imageText: "Summarize the given image with the following related text information in one word:",
  },
} as const;

/** Tokens the chat prompt is built from; read from the bundle's tokenizer, never hard-coded ids. */
export interface PromptTokens {
  visionStart: string;
  imagePad: string;
  visionEnd: string;
  emb: string;
}

/**
 * The user-turn text: `[<image>\n]{instruction} {text}\n`. The image placeholder stands first, as in
 * MMEB, and the trailing newline matches the reference evaluation's `ensure_trailing_newline`.
 * `instruction: null` (or "") sends the text alone.
 */
export function userText(
  input: { text?: string; hasImage: boolean; instruction?: string | null },
  role: InputRole,
  tokens: PromptTokens,
): string {
  const defaults = DEFAULT_INSTRUCTIONS[role];
  const text = input.text ?? "";
  const instruction =
    input.instruction === undefined
      ? input.hasImage
        ? text
          ? defaults.imageText
          : defaults.image
        : defaults.text
      : (input.instruction ?? "");
  const body = [instruction, text].filter((s) => s.length > 0).join(" ");
  const image = input.hasImage ? `${tokens.visionStart}${tokens.imagePad}${tokens.visionEnd}\n` : "";
  return `${image}${body}\n`;
}

/** Replaces the n-th image placeholder by `counts[n]` copies of it (the processor's pad expansion). */
export function expandImagePads(prompt: string, imagePad: string, counts: readonly number[]): string {
  const parts = prompt.split(imagePad);
  if (parts.length - 1 !== counts.length) {
    throw new Error(`prompt has ${parts.length - 1} image placeholders for ${counts.length} images`);
  }
  return parts.reduce((acc, part, i) => acc + imagePad.repeat(counts[i - 1]!) + part);
}
