import { fileURLToPath } from "node:url";
import { ImageSourceError, NetworkDisabledError, throwIfAborted } from "../../errors.js";
import { decodeImage } from "./decode-image.js";
import { fetchImage } from "./fetch-image.js";
import { checkImageLimits, DEFAULT_MAX_IMAGE_BYTES, formatBytes, imageTooManyBytes } from "./image-limits.js";
import { readImageFile } from "./read-image-file.js";
import type { RgbImage } from "./rgb-image.js";

/**
 * Where an image comes from.
 *
 * - a string: a local file path, a `file://` URL, a base64 `data:` URL, or an `http(s)://` URL (fetched only
 *   with `allowNetwork: true`);
 * - encoded bytes (PNG, JPEG, WebP, ...) as a `Uint8Array` (a Node `Buffer` is one), an `ArrayBuffer`,
 *   or an object `{ data }` holding either.
 */
export type ImageSource = string | Uint8Array | ArrayBuffer | { data: Uint8Array | ArrayBuffer };

/** Options of {@link readImageSource}. */
export interface ReadImageSourceOptions {
  /** Allow fetching `http(s)://` sources. Default false: such sources throw `NetworkDisabledError`. */
  allowNetwork?: boolean;
  /**
   * Refuse sources with more encoded bytes than this (`ImageTooLargeError`), checked before and while reading:
   * files, `data:` URLs, http bodies and bytes passed in alike. Default 64 MiB (`DEFAULT_MAX_IMAGE_BYTES`).
   */
  maxImageBytes?: number;
  /** Cancels reading and fetching. */
  signal?: AbortSignal;
}

/** Options of {@link loadImage}. */
export interface LoadImageOptions extends ReadImageSourceOptions {
  /** Refuse images with more pixels than this, checked from the header before decoding. Default 100,000,000. */
  maxImagePixels?: number;
  /** Transparency: `"drop"` (default, as the reference pipeline) or `"white"` (composited onto white). */
  alpha?: "drop" | "white";
}

/**
 * Reads and decodes an image to 8-bit RGB (EXIF orientation applied, transparency dropped unless `alpha: "white"`).
 *
 * A missing or unreadable file, or one that is not a regular file, throws `ImageSourceError` (the source does not
 * resolve to bytes); a source over `maxImageBytes` or an image over `maxImagePixels` throws `ImageTooLargeError`;
 * bytes that are not an image throw `ImageDecodeError`.
 *
 * @example
 * const image = await loadImage("./photos/cat.jpg");
 * const remote = await loadImage("https://example.com/cat.png", { allowNetwork: true });
 */
export async function loadImage(source: ImageSource, options: LoadImageOptions = {}): Promise<RgbImage> {
  checkImageLimits({ maxImagePixels: options.maxImagePixels });
  const { bytes, description } = await readImageSource(source, options);
  throwIfAborted(options.signal);
  const image = await decodeImage(bytes, { maxImagePixels: options.maxImagePixels, description, ...(options.alpha ? { alpha: options.alpha } : {}) });
  throwIfAborted(options.signal);
  return image;
}

/** The encoded bytes of an image source, not yet decoded. */
export interface SourceBytes {
  bytes: Uint8Array;
  /** Names the source in error messages. */
  description: string;
}

/**
 * Resolves an image source to its encoded bytes, reading no more than `maxImageBytes` of them.
 *
 * @throws {ImageSourceError} when the source is of an unsupported kind or cannot be read.
 * @throws {ImageTooLargeError} when it holds more than `maxImageBytes`.
 * @throws {NetworkDisabledError} for an http(s) URL without `allowNetwork`.
 */
export async function readImageSource(source: ImageSource, options: ReadImageSourceOptions = {}): Promise<SourceBytes> {
  checkImageLimits({ maxImageBytes: options.maxImageBytes });
  throwIfAborted(options.signal);
  const limit = options.maxImageBytes ?? DEFAULT_MAX_IMAGE_BYTES;
  if (typeof source === "string") return readStringSource(source, limit, options);
  const data = source instanceof Uint8Array || source instanceof ArrayBuffer ? source : source?.data;
  if (data instanceof Uint8Array || data instanceof ArrayBuffer) {
    const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
    if (bytes.byteLength > limit) throw imageTooManyBytes("the bytes passed in", `is ${formatBytes(bytes.byteLength)}`, limit);
    return { bytes, description: formatBytes(bytes.byteLength) };
  }
  throw new ImageSourceError(
    `Unsupported image source of type ${describeType(source)}. Pass a path, a file:, data: or http(s): URL, ` +
      `a Uint8Array, an ArrayBuffer, or { data }.`,
  );
}

/** The path of a `file:` URL; one naming another host (`file://host/x`) or malformed is a typed error. */
function filePath(url: string): string {
  try {
    return fileURLToPath(url);
  } catch (cause) {
    throw new ImageSourceError(`Image source ${truncate(url)} is not a local file URL (${(cause as Error).message}); use file:///absolute/path or a plain path.`, { cause });
  }
}

async function readStringSource(source: string, limit: number, options: ReadImageSourceOptions): Promise<SourceBytes> {
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(source)?.[1]?.toLowerCase();
  // One letter is a Windows drive ("C:\\img.png"), not a URL scheme.
  const path = scheme === undefined || scheme.length === 1 ? source : scheme === "file" ? filePath(source) : undefined;
  if (path !== undefined) return { bytes: await readImageFile(path, limit, options.signal), description: `file ${path}` };
  if (scheme === "data") return readDataUrl(source, limit);
  if (scheme === "http" || scheme === "https") {
    if (!options.allowNetwork) {
      throw new NetworkDisabledError(
        `Refusing to fetch image ${truncate(source)}: network access is off. Pass allowNetwork: true to allow it, ` +
          `or download the image and pass its bytes or path.`,
      );
    }
    return { bytes: await fetchImage(source, truncate(source), limit, options.signal), description: truncate(source) };
  }
  throw new ImageSourceError(
    `Unsupported URL scheme "${scheme}:" in image source ${truncate(source)}. ` +
      `Use a file path, or a file:, data: or http(s): URL.`,
  );
}

function readDataUrl(url: string, limit: number): SourceBytes {
  const comma = url.indexOf(",");
  const header = comma < 0 ? "" : url.slice(5, comma);
  if (comma < 0 || !/;base64$/i.test(header)) {
    throw new ImageSourceError(
      `Only base64 data: URLs are supported (data:image/png;base64,...), got ${truncate(url)}.`,
    );
  }
  // Base64 spends 4 characters per 3 bytes: refuse a longer payload before decoding a copy of it.
  const chars = url.length - comma - 1;
  const what = `a data: URL (${truncate(url, 40)})`;
  if (chars > Math.ceil(limit / 3) * 4) throw imageTooManyBytes(what, `holds ${chars.toLocaleString("en-US")} base64 characters`, limit);
  const bytes = Buffer.from(url.slice(comma + 1), "base64");
  if (bytes.byteLength > limit) throw imageTooManyBytes(what, `decodes to ${formatBytes(bytes.byteLength)}`, limit);
  return { bytes, description: `a data: URL (${formatBytes(bytes.byteLength)})` };
}

function describeType(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "object") return value.constructor?.name ?? "object";
  return typeof value;
}

function truncate(text: string, max = 80): string {
  return text.length <= max ? text : `${text.slice(0, max)}...`;
}
