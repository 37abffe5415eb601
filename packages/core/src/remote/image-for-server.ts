import { readImageSource, type ImageSource } from "../preprocess/image/index.js";

/** Magic bytes of the formats the server decodes, for the data: URL's media type (the server reads the bytes, not it). */
const SIGNATURES: [string, number[]][] = [
  ["image/png", [0x89, 0x50, 0x4e, 0x47]],
  ["image/jpeg", [0xff, 0xd8, 0xff]],
  ["image/gif", [0x47, 0x49, 0x46, 0x38]],
  ["image/webp", [0x52, 0x49, 0x46, 0x46]],
];

/**
 * An image as the server takes it. A server refuses paths (they would name its own files), so local files,
 * `file:` URLs and bytes are read here and sent as base64 `data:` URLs; `data:` and `http(s):` URLs go as they are
 * (the server fetches http(s) only when its model allows network).
 */
export async function imageForServer(source: ImageSource, options: { maxImageBytes?: number; signal?: AbortSignal }): Promise<string> {
  if (typeof source === "string" && /^(data|https?):/i.test(source)) return source;
  const { bytes } = await readImageSource(source, options);
  const type = SIGNATURES.find(([, magic]) => magic.every((b, i) => bytes[i] === b))?.[0] ?? "application/octet-stream";
  return `data:${type};base64,${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64")}`;
}
