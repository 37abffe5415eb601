/** Default `maxImagePixels`: decoding stops before allocating more than this many pixels. */
export const DEFAULT_MAX_IMAGE_PIXELS = 100_000_000;

/** Options of decoding an image, in Node (sharp) and in browsers alike. */
export interface DecodeImageOptions {
  /** Refuse images with more pixels than this, judged from the header before decoding. Default 100,000,000. */
  maxImagePixels?: number;
  /** How to name the input in error messages, e.g. a path or "2,048 bytes". */
  description?: string;
  /**
   * What happens to transparency. `"drop"` (default) keeps the colour channels, as the reference pipeline does
   * (RGE's evaluation opens images with Pillow and transformers' `convert_rgb` calls `convert("RGB")`);
   * `"white"` composites onto white like qwen-vl-utils' `to_rgb`.
   */
  alpha?: "drop" | "white";
}
