import { ImageShapeError } from "../../errors.js";
import { roundHalfEven } from "../../numeric/round-half-even.js";

/** Pixel budget and alignment for {@link smartResize}. */
export interface SmartResizeOptions {
  /** Both output sides are multiples of this (`patchSize * mergeSize`). Default 28. */
  factor?: number;
  /** Lower bound on output pixels. Default `56 * 56`. */
  minPixels?: number;
  /** Upper bound on output pixels. Default `28 * 28 * 1280`. */
  maxPixels?: number;
}

/** Output size of {@link smartResize}. */
export interface ResizedSize {
  height: number;
  width: number;
}

/** Qwen2-VL rejects images more elongated than this. */
export const MAX_ASPECT_RATIO = 200;

/**
 * The size Qwen2-VL / Qwen2.5-VL resize an image to: sides rounded to multiples of `factor`, total pixels
 * pulled into `[minPixels, maxPixels]`, aspect ratio kept as closely as possible.
 *
 * Mirrors `smart_resize` of transformers 4.51.3 line for line, including Python's round-half-to-even
 * (70 px / 28 = 2.5 rounds to 2, not 3) and its errors: a side shorter than `factor`, or an aspect
 * ratio above 200, throws {@link ImageShapeError} (transformers raises `ValueError`).
 *
 * @example
 * smartResize(126, 70); // { height: 112, width: 56 }
 */
export function smartResize(height: number, width: number, options: SmartResizeOptions = {}): ResizedSize {
  const { factor = 28, minPixels = 56 * 56, maxPixels = 28 * 28 * 1280 } = options;
  if (height < factor || width < factor) {
    throw new ImageShapeError(
      `Image is ${width}x${height} px, but both sides must be at least ${factor} px for the vision encoder. ` +
        `Upscale it first, or set smallImageRule: "mmeb" to reproduce the MMEB evaluation's handling of tiny images.`,
      width,
      height,
    );
  }
  const ratio = Math.max(height, width) / Math.min(height, width);
  if (ratio > MAX_ASPECT_RATIO) {
    throw new ImageShapeError(
      `Image is ${width}x${height} px, an aspect ratio of ${ratio}; the vision encoder accepts at most ` +
        `${MAX_ASPECT_RATIO}. Crop or pad it to a less elongated shape.`,
      width,
      height,
    );
  }
  let hBar = roundHalfEven(height / factor) * factor;
  let wBar = roundHalfEven(width / factor) * factor;
  if (hBar * wBar > maxPixels) {
    const beta = Math.sqrt((height * width) / maxPixels);
    hBar = Math.floor(height / beta / factor) * factor;
    wBar = Math.floor(width / beta / factor) * factor;
  } else if (hBar * wBar < minPixels) {
    const beta = Math.sqrt(minPixels / (height * width));
    hBar = Math.ceil((height * beta) / factor) * factor;
    wBar = Math.ceil((width * beta) / factor) * factor;
  }
  return { height: hBar, width: wBar };
}
