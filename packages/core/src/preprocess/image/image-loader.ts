import type { DecodeImageOptions } from "./decode-options.js";
import type { RgbImage } from "./rgb-image.js";
import type { ImageSource, SourceBytes } from "./source-bytes.js";

/** What reading a source may use: the network switch, the byte bound, cancellation. */
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

/**
 * How a runtime turns an image source into RGB pixels, the one part of preprocessing that differs between Node
 * (files, sharp) and browsers (fetch, the browser's own decoders). Resizing and patching are shared.
 */
export interface ImageLoader {
  read(source: ImageSource, options: ReadImageSourceOptions): Promise<SourceBytes>;
  decode(bytes: Uint8Array, options: DecodeImageOptions): Promise<RgbImage>;
}
