import { checkOptions, positiveNumber } from "../../options/option-rules.js";
import { ImageTooLargeError } from "../../errors.js";
import { concatArrays } from "../../util/concat-arrays.js";

/**
 * Default `maxImageBytes`: 64 MiB of encoded image. The vision encoder sees at most `maxPixels` (12.8 M pixels
 * for Qwen2.5-VL bundles, 38 MB as RGB), and 64 MiB is more than that image uncompressed, or a 100 M-pixel photo
 * as a high-quality JPEG; a larger file is a huge image that is shrunk anyway, or not an image at all. Raise it
 * for big lossless scans from a source you trust.
 */
export const DEFAULT_MAX_IMAGE_BYTES = 64 * 1024 * 1024;

/** Throws `InvalidOptionError` unless each limit given is a positive finite number. */
export function checkImageLimits(limits: { maxImageBytes?: number | undefined; maxImagePixels?: number | undefined }): void {
  checkOptions(limits, "image limits", IMAGE_LIMIT_RULES);
}

/** The rules of the image limits, shared with `loadRgeModel`'s options. */
export const IMAGE_LIMIT_RULES = { maxImageBytes: positiveNumber, maxImagePixels: positiveNumber } as const;

/** The error for a source over `maxImageBytes`; `found` says what was seen, e.g. "is 2,000 bytes". */
export function imageTooManyBytes(what: string, found: string, limit: number): ImageTooLargeError {
  return new ImageTooLargeError(
    `The image from ${what} ${found}, over maxImageBytes (${formatBytes(limit)}). Pass a smaller image, ` +
      `or raise maxImageBytes if you trust the source.`,
  );
}

export function formatBytes(count: number): string {
  return `${count.toLocaleString("en-US")} bytes`;
}

/**
 * Concatenates `chunks` (a file or response body stream), throwing from `tooLarge` as soon as more than `limit`
 * bytes have arrived; leaving the loop early closes the stream, so nothing past the limit is read.
 */
export async function collectCapped(
  chunks: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>,
  limit: number,
  tooLarge: () => Error,
): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of "getReader" in chunks ? readChunks(chunks) : chunks) {
    total += chunk.byteLength;
    if (total > limit) throw tooLarge();
    parts.push(chunk);
  }
  return concatArrays(parts, (n) => new Uint8Array(n));
}

/** A stream's chunks through its reader: Safari's streams are not async-iterable. Leaving early cancels it. */
async function* readChunks(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = stream.getReader();
  let done = false;
  try {
    for (;;) {
      const next = await reader.read();
      if (next.done) {
        done = true;
        return;
      }
      yield next.value;
    }
  } finally {
    if (!done) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}
