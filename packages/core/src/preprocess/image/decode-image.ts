import sharp, { type OutputInfo } from "sharp";
import { ImageDecodeError, ImageTooLargeError } from "../../errors.js";
import { DEFAULT_MAX_IMAGE_PIXELS, type DecodeImageOptions } from "./decode-options.js";
import { compositeOnWhiteInPlace } from "./alpha.js";
import type { RgbImage } from "./rgb-image.js";

export { compositeOnWhiteInPlace } from "./alpha.js";

export { DEFAULT_MAX_IMAGE_PIXELS, type DecodeImageOptions } from "./decode-options.js";

/**
 * Decodes image bytes (any format sharp reads: PNG, JPEG, WebP, GIF, TIFF, AVIF, ...) to 8-bit RGB the way the
 * Python reference pipeline sees it: embedded ICC profiles ignored (Pillow does not colour-manage), first frame
 * only, grey and palette images expanded to RGB, and transparency dropped (or composited onto white with Pillow's
 * integer blend, see `alpha`). Unlike the reference, EXIF orientation is applied (`ImageOps.exif_transpose`), so
 * phone photos are embedded upright.
 *
 * @throws {ImageDecodeError} when the bytes are not an image sharp can decode (truncated data included).
 * @throws {ImageTooLargeError} when the header declares more than `maxImagePixels` pixels.
 */
export async function decodeImage(bytes: Uint8Array, options: DecodeImageOptions = {}): Promise<RgbImage> {
  const maxImagePixels = options.maxImagePixels ?? DEFAULT_MAX_IMAGE_PIXELS;
  const what = options.description ?? `${bytes.byteLength.toLocaleString("en-US")} bytes`;
  const undecodable = (cause: unknown) =>
    new ImageDecodeError(
      `Could not decode the image from ${what}: ${cause instanceof Error ? cause.message : String(cause)}. ` +
        `Expected PNG, JPEG, WebP, GIF, TIFF or AVIF data.`,
      { cause },
    );

  // failOn "error": like Pillow, refuse truncated or corrupt data rather than return partial pixels.
  const input = { failOn: "error", ignoreIcc: true, autoOrient: true, limitInputPixels: maxImagePixels } as const;
  let width: number | undefined;
  let height: number | undefined;
  try {
    ({ width, height } = await sharp(bytes, { ...input, limitInputPixels: false }).metadata());
  } catch (cause) {
    throw undecodable(cause);
  }
  if (!width || !height) throw undecodable(new Error("the header declares no dimensions"));
  if (width * height > maxImagePixels) {
    throw new ImageTooLargeError(
      `The image from ${what} is ${width}x${height} = ${(width * height).toLocaleString("en-US")} pixels, more than ` +
        `maxImagePixels (${maxImagePixels.toLocaleString("en-US")}). Downscale it first, or raise maxImagePixels ` +
        `if you trust the source.`,
    );
  }

  // Drop transparency in libvips ("drop" keeps the colour channels, like Pillow's `convert("RGB")`), so the
  // decoder's output is the RGB image itself. Only compositing onto white needs alpha, and it is done in place.
  const white = options.alpha === "white";
  let raw: { data: Buffer; info: OutputInfo };
  try {
    const pipeline = sharp(bytes, input).toColourspace("srgb");
    raw = await (white ? pipeline : pipeline.removeAlpha()).raw({ depth: "uchar" }).toBuffer({ resolveWithObject: true });
  } catch (cause) {
    throw undecodable(cause);
  }
  const { info } = raw;
  // A plain view of sharp's buffer, not a copy: a full-size image is held once. (Not the Buffer itself, whose
  // `slice` would share memory where Uint8Array's copies.)
  const data = new Uint8Array(raw.data.buffer, raw.data.byteOffset, raw.data.byteLength);
  if (info.channels === 3) return { width: info.width, height: info.height, data };
  if (info.channels === 4 && white) return { width: info.width, height: info.height, data: compositeOnWhiteInPlace(data) };
  throw undecodable(new Error(`decoder produced ${info.channels} channels, expected 3${white ? " or 4" : ""}`));
}
