import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { AbortedError, ImageSourceError, NetworkDisabledError, throwIfAborted } from "../../errors.js";
import { decodeImage } from "./decode-image.js";
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

/** Options of {@link loadImage}. */
export interface LoadImageOptions {
  /** Allow fetching `http(s)://` sources. Default false: such sources throw `NetworkDisabledError`. */
  allowNetwork?: boolean;
  /** Refuse images with more pixels than this, checked from the header before decoding. Default 100,000,000. */
  maxImagePixels?: number;
  /** Cancels reading, fetching and decoding. */
  signal?: AbortSignal;
  /** Transparency: `"drop"` (default, as the reference pipeline) or `"white"` (composited onto white). */
  alpha?: "drop" | "white";
}

/**
 * Reads and decodes an image to 8-bit RGB (EXIF orientation applied, transparency dropped unless `alpha: "white"`).
 *
 * A missing or unreadable file throws `ImageSourceError` (the source does not resolve to bytes);
 * bytes that are not an image throw `ImageDecodeError`.
 *
 * @example
 * const image = await loadImage("./photos/cat.jpg");
 * const remote = await loadImage("https://example.com/cat.png", { allowNetwork: true });
 */
export async function loadImage(source: ImageSource, options: LoadImageOptions = {}): Promise<RgbImage> {
  throwIfAborted(options.signal);
  const { bytes, description } = await readSource(source, options);
  throwIfAborted(options.signal);
  const image = await decodeImage(bytes, { maxImagePixels: options.maxImagePixels, description, ...(options.alpha ? { alpha: options.alpha } : {}) });
  throwIfAborted(options.signal);
  return image;
}

interface SourceBytes {
  bytes: Uint8Array;
  /** Names the source in error messages. */
  description: string;
}

async function readSource(source: ImageSource, options: LoadImageOptions): Promise<SourceBytes> {
  if (typeof source === "string") return readStringSource(source, options);
  const data = source instanceof Uint8Array || source instanceof ArrayBuffer ? source : source?.data;
  if (data instanceof Uint8Array || data instanceof ArrayBuffer) {
    const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
    return { bytes, description: `${bytes.byteLength.toLocaleString("en-US")} bytes` };
  }
  throw new ImageSourceError(
    `Unsupported image source of type ${describeType(source)}. Pass a path, a file:, data: or http(s): URL, ` +
      `a Uint8Array, an ArrayBuffer, or { data }.`,
  );
}

async function readStringSource(source: string, options: LoadImageOptions): Promise<SourceBytes> {
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(source)?.[1]?.toLowerCase();
  // One letter is a Windows drive ("C:\\img.png"), not a URL scheme.
  if (scheme === undefined || scheme.length === 1) return readPath(source, options.signal);
  if (scheme === "file") return readPath(fileURLToPath(source), options.signal);
  if (scheme === "data") return readDataUrl(source);
  if (scheme === "http" || scheme === "https") return fetchUrl(source, options);
  throw new ImageSourceError(
    `Unsupported URL scheme "${scheme}:" in image source ${truncate(source)}. ` +
      `Use a file path, or a file:, data: or http(s): URL.`,
  );
}

async function readPath(path: string, signal: AbortSignal | undefined): Promise<SourceBytes> {
  try {
    return { bytes: await readFile(path, { signal }), description: `file ${path}` };
  } catch (err) {
    if (isAbort(err)) throw new AbortedError(undefined, { cause: err });
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new ImageSourceError(`Image file not found: ${path}. Check the path.`);
    throw new ImageSourceError(`Could not read image file ${path}: ${(err as Error).message}`);
  }
}

function readDataUrl(url: string): SourceBytes {
  const comma = url.indexOf(",");
  const header = comma < 0 ? "" : url.slice(5, comma);
  if (comma < 0 || !/;base64$/i.test(header)) {
    throw new ImageSourceError(
      `Only base64 data: URLs are supported (data:image/png;base64,...), got ${truncate(url)}.`,
    );
  }
  const bytes = Buffer.from(url.slice(comma + 1), "base64");
  return { bytes, description: `a data: URL (${bytes.byteLength.toLocaleString("en-US")} bytes)` };
}

async function fetchUrl(url: string, options: LoadImageOptions): Promise<SourceBytes> {
  if (!options.allowNetwork) {
    throw new NetworkDisabledError(
      `Refusing to fetch image ${truncate(url)}: network access is off. Pass allowNetwork: true to allow it, ` +
        `or download the image and pass its bytes or path.`,
    );
  }
  let response: Response;
  try {
    response = await fetch(url, { signal: options.signal });
  } catch (err) {
    if (isAbort(err)) throw new AbortedError(undefined, { cause: err });
    throw new ImageSourceError(`Could not fetch image ${truncate(url)}: ${(err as Error).message}`);
  }
  if (!response.ok) {
    throw new ImageSourceError(`Fetching image ${truncate(url)} failed with HTTP ${response.status} ${response.statusText}.`);
  }
  try {
    return { bytes: new Uint8Array(await response.arrayBuffer()), description: truncate(url) };
  } catch (err) {
    if (isAbort(err)) throw new AbortedError(undefined, { cause: err });
    throw new ImageSourceError(`Could not read the body of ${truncate(url)}: ${(err as Error).message}`);
  }
}

function isAbort(err: unknown): boolean {
  return err instanceof Error && (err.name === "AbortError" || err.name === "TimeoutError");
}

function describeType(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "object") return value.constructor?.name ?? "object";
  return typeof value;
}

function truncate(text: string, max = 80): string {
  return text.length <= max ? text : `${text.slice(0, max)}...`;
}
