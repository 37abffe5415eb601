import { fileURLToPath } from "node:url";
import { ImageSourceError, NetworkDisabledError, throwIfAborted } from "../../errors.js";
import { decodeImage } from "./decode-image.js";
import { fetchImage } from "./fetch-image.js";
import { checkImageLimits, DEFAULT_MAX_IMAGE_BYTES } from "./image-limits.js";
import { readImageFile } from "./read-image-file.js";
import type { RgbImage } from "./rgb-image.js";
import { bytesOfDataUrl, bytesOfSource, truncate, type ImageSource, type SourceBytes } from "./source-bytes.js";

import type { ImageLoader, ReadImageSourceOptions } from "./image-loader.js";

export type { ImageSource, SourceBytes } from "./source-bytes.js";
export type { ReadImageSourceOptions } from "./image-loader.js";

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
  return (await bytesOfSource(source, limit))!;
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
  if (scheme === "data") return bytesOfDataUrl(source, limit);
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

/** Images in Node: files, `data:` and http(s) URLs, bytes; decoded by sharp. */
export const NODE_IMAGE_LOADER: ImageLoader = { read: readImageSource, decode: decodeImage };
