/**
 * A decoded image as the preprocessing pipeline sees it: 8-bit sRGB, three interleaved channels,
 * rows top to bottom, no alpha (transparency is composited onto white when the image is loaded).
 */
export interface RgbImage {
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /** `width * height * 3` bytes: R, G, B of each pixel, row-major. */
  data: Uint8Array;
}
