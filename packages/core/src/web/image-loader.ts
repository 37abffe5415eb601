import { imageSize } from "image-size";
import { ImageDecodeError, ImageSourceError, ImageTooLargeError, NetworkDisabledError, throwIfAborted } from "../errors.js";
import { compositeOnWhiteInPlace } from "../preprocess/image/alpha.js";
import { DEFAULT_MAX_IMAGE_PIXELS, type DecodeImageOptions } from "../preprocess/image/decode-options.js";
import { fetchImage } from "../preprocess/image/fetch-image.js";
import type { ImageLoader, ReadImageSourceOptions } from "../preprocess/image/image-loader.js";
import { checkImageLimits, DEFAULT_MAX_IMAGE_BYTES } from "../preprocess/image/image-limits.js";
import type { RgbImage } from "../preprocess/image/rgb-image.js";
import { bytesOfDataUrl, bytesOfSource, truncate, type ImageSource, type SourceBytes } from "../preprocess/image/source-bytes.js";

/**
 * Resolves an image source in a browser: bytes, a `Blob`/`File`, a `data:` or `blob:` URL, or a URL relative to
 * the page. The page's own origin is always reachable; other origins only with `allowNetwork`, so images a user
 * adds stay on the device unless the app says otherwise.
 */
export async function readWebImageSource(source: ImageSource, options: ReadImageSourceOptions = {}): Promise<SourceBytes> {
  checkImageLimits({ maxImageBytes: options.maxImageBytes });
  throwIfAborted(options.signal);
  const limit = options.maxImageBytes ?? DEFAULT_MAX_IMAGE_BYTES;
  if (typeof source !== "string") return (await bytesOfSource(source, limit))!;
  if (/^data:/i.test(source)) return bytesOfDataUrl(source, limit);
  const base = globalThis.location?.href;
  let url: URL;
  try {
    url = new URL(source, base);
  } catch (cause) {
    throw new ImageSourceError(`Image source ${truncate(source)} is not a URL${base ? ` relative to ${base}` : ""}; pass a URL, a Blob or bytes.`, { cause });
  }
  const sameOrigin = url.protocol === "blob:" || (base !== undefined && url.origin === new URL(base).origin);
  if (!sameOrigin && url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ImageSourceError(`Unsupported URL scheme "${url.protocol}" in image source ${truncate(source)}; use an http(s), blob: or data: URL.`);
  }
  if (!sameOrigin && !options.allowNetwork) {
    throw new NetworkDisabledError(
      `Refusing to fetch image ${truncate(source)}: it is on another origin than the page and network access is off. ` +
        `Pass allowNetwork: true to allow it, or pass the image's bytes or a Blob.`,
    );
  }
  const what = truncate(url.href);
  return { bytes: await fetchImage(url.href, what, limit, options.signal), description: what };
}

/**
 * Decodes image bytes with the browser's own decoders to 8-bit RGB, as the Node path (and Pillow) sees them:
 * embedded colour profiles ignored, EXIF orientation applied, transparency dropped or composited onto white.
 * The size is read from the header first (`image-size`), so an image over `maxImagePixels` is refused before the
 * browser allocates it.
 *
 * A canvas keeps premultiplied alpha, so a pixel that is not opaque can come back a step off from its stored
 * colour; opaque images (photos, JPEGs) come back exact.
 */
export async function decodeWebImage(bytes: Uint8Array, options: DecodeImageOptions = {}): Promise<RgbImage> {
  const maxImagePixels = options.maxImagePixels ?? DEFAULT_MAX_IMAGE_PIXELS;
  const what = options.description ?? `${bytes.byteLength.toLocaleString("en-US")} bytes`;
  const undecodable = (cause: unknown) =>
    new ImageDecodeError(
      `Could not decode the image from ${what}: ${cause instanceof Error ? cause.message : String(cause)}. Expected PNG, JPEG, WebP, GIF or AVIF data.`,
      { cause },
    );
  let declared: { width?: number | undefined; height?: number | undefined };
  try {
    declared = imageSize(bytes);
  } catch (cause) {
    throw undecodable(cause);
  }
  if (declared.width && declared.height && declared.width * declared.height > maxImagePixels) {
    const { width, height } = declared;
    throw new ImageTooLargeError(
      `The image from ${what} is ${width}x${height} = ${(width * height).toLocaleString("en-US")} pixels, more than ` +
        `maxImagePixels (${maxImagePixels.toLocaleString("en-US")}). Downscale it first, or raise maxImagePixels if you trust the source.`,
    );
  }
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(new Blob([bytes as Uint8Array<ArrayBuffer>]), {
      colorSpaceConversion: "none",
      premultiplyAlpha: "none",
      imageOrientation: "from-image",
    });
  } catch (cause) {
    throw undecodable(cause);
  }
  try {
    const { width, height } = bitmap;
    const canvas = new OffscreenCanvas(width, height);
    const context = canvas.getContext("2d", { willReadFrequently: true });
    if (!context) throw undecodable(new Error("no 2D canvas context"));
    context.drawImage(bitmap, 0, 0);
    const rgba = new Uint8Array(context.getImageData(0, 0, width, height).data.buffer);
    const data = options.alpha === "white" ? compositeOnWhiteInPlace(rgba) : dropAlphaInPlace(rgba);
    return { width, height, data };
  } finally {
    bitmap.close();
  }
}

/** RGBA -> RGB, keeping the colour channels (Pillow's `convert("RGB")`), over the start of `rgba`. */
function dropAlphaInPlace(rgba: Uint8Array): Uint8Array {
  const pixels = rgba.length / 4;
  for (let i = 0; i < pixels; i++) {
    rgba[i * 3] = rgba[i * 4]!;
    rgba[i * 3 + 1] = rgba[i * 4 + 1]!;
    rgba[i * 3 + 2] = rgba[i * 4 + 2]!;
  }
  return rgba.subarray(0, pixels * 3);
}

/** Images in browsers: fetched or passed in, decoded by the browser. */
export const WEB_IMAGE_LOADER: ImageLoader = { read: readWebImageSource, decode: decodeWebImage };
