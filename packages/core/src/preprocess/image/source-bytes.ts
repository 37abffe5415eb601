import { ImageSourceError } from "../../errors.js";
import { collectCapped, formatBytes, imageTooManyBytes } from "./image-limits.js";

/**
 * Where an image comes from.
 *
 * - a string: a local file path, a `file://` URL, a base64 `data:` URL, or an `http(s)://` URL (fetched only
 *   with `allowNetwork: true`); in browsers, a URL relative to the page, a same-origin or `blob:` URL (others
 *   only with `allowNetwork: true`), and no file paths;
 * - encoded bytes (PNG, JPEG, WebP, ...) as a `Uint8Array` (a Node `Buffer` is one), an `ArrayBuffer`, a `Blob`
 *   (a browser `File` is one), or an object `{ data }` holding a `Uint8Array` or `ArrayBuffer`.
 */
export type ImageSource = string | Uint8Array | ArrayBuffer | Blob | { data: Uint8Array | ArrayBuffer };

/** The encoded bytes of an image source, not yet decoded. */
export interface SourceBytes {
  bytes: Uint8Array;
  /** Names the source in error messages. */
  description: string;
}

/** The bytes of a source that holds them (not a string), at most `limit` of them; undefined for a string. */
export async function bytesOfSource(source: ImageSource, limit: number): Promise<SourceBytes | undefined> {
  if (typeof source === "string") return undefined;
  if (typeof Blob !== "undefined" && source instanceof Blob) {
    const what = `a ${source.constructor.name}${"name" in source && typeof source.name === "string" ? ` (${truncate(source.name)})` : ""}`;
    if (source.size > limit) throw imageTooManyBytes(what, `is ${formatBytes(source.size)}`, limit);
    const bytes = await collectCapped(source.stream(), limit, () => imageTooManyBytes(what, `holds more than ${formatBytes(limit)}`, limit));
    return { bytes, description: `${what}, ${formatBytes(bytes.byteLength)}` };
  }
  const data = source instanceof Uint8Array || source instanceof ArrayBuffer ? source : (source as { data?: unknown } | null)?.data;
  if (data instanceof Uint8Array || data instanceof ArrayBuffer) {
    const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
    if (bytes.byteLength > limit) throw imageTooManyBytes("the bytes passed in", `is ${formatBytes(bytes.byteLength)}`, limit);
    return { bytes, description: formatBytes(bytes.byteLength) };
  }
  throw new ImageSourceError(
    `Unsupported image source of type ${describeType(source)}. Pass a path or URL string, a Uint8Array, an ` +
      `ArrayBuffer, a Blob, or { data }.`,
  );
}

/** The bytes of a base64 `data:` URL, refused before decoding when its payload would exceed `limit`. */
export function bytesOfDataUrl(url: string, limit: number): SourceBytes {
  const comma = url.indexOf(",");
  const header = comma < 0 ? "" : url.slice(5, comma);
  if (comma < 0 || !/;base64$/i.test(header)) {
    throw new ImageSourceError(`Only base64 data: URLs are supported (data:image/png;base64,...), got ${truncate(url)}.`);
  }
  // Base64 spends 4 characters per 3 bytes: refuse a longer payload before decoding a copy of it.
  const chars = url.length - comma - 1;
  const what = `a data: URL (${truncate(url, 40)})`;
  if (chars > Math.ceil(limit / 3) * 4) throw imageTooManyBytes(what, `holds ${chars.toLocaleString("en-US")} base64 characters`, limit);
  const bytes = decodeBase64(url.slice(comma + 1), what);
  if (bytes.byteLength > limit) throw imageTooManyBytes(what, `decodes to ${formatBytes(bytes.byteLength)}`, limit);
  return { bytes, description: `a data: URL (${formatBytes(bytes.byteLength)})` };
}

/** `atob` exists in Node and browsers alike; `Buffer` only in Node. */
function decodeBase64(text: string, what: string): Uint8Array {
  let binary: string;
  try {
    binary = atob(text.replace(/\s+/g, ""));
  } catch (cause) {
    throw new ImageSourceError(`${what} is not valid base64.`, { cause });
  }
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function describeType(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "object") return value.constructor?.name ?? "object";
  return typeof value;
}

export function truncate(text: string, max = 80): string {
  return text.length <= max ? text : `${text.slice(0, max)}...`;
}
