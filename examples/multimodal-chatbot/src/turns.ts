import { isAbsolute, resolve } from "node:path";

/** One user turn: words, and optionally the path of an image the user attached. */
export interface ChatTurn {
  text: string;
  image?: string;
}

/**
 * Parses a typed line: `@path` attaches an image, the rest is the message.
 * `What fruit is this? @photos/apple.png` → `{ text: "What fruit is this?", image: "<cwd>/photos/apple.png" }`.
 */
export function parseTurn(line: string, cwd = process.cwd()): ChatTurn {
  const words = line.trim().split(/\s+/).filter(Boolean);
  const attachment = words.find((w) => w.startsWith("@") && w.length > 1);
  const text = words.filter((w) => w !== attachment).join(" ");
  if (!attachment) return { text };
  const path = attachment.slice(1);
  return { text, image: isAbsolute(path) ? path : resolve(cwd, path) };
}
