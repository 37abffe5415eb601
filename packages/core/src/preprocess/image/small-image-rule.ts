import { pilResizeBicubic } from "./pil-resize.js";
import type { RgbImage } from "./rgb-image.js";

/**
 * What to do with an image whose width or height is under 28 px, which Qwen2.5-VL's `smart_resize` rejects.
 *
 * - `"reject"`: throw `ImageShapeError`, as transformers 4.51.3 does (it raises `ValueError`).
 * - `"mmeb"`: the MMEB evaluation's rule, from VLM2Vec's `src/model/processor.py`: if either side is under
 *   28 px the whole image is resized to 56x56 with Pillow's default filter (BICUBIC), aspect ratio ignored.
 *   (Its comment says "resize to 28*28"; the code resizes to 56x56, and we follow the code.)
 * - `"stretch-to-factor"`: only the short side is stretched to 28 px, the other kept; the rule in
 *   VLM2Vec's document-retrieval eval wrapper (`_process_image`, resolution "original").
 */
export type SmallImageRule = "reject" | "mmeb" | "stretch-to-factor";

/** Side length under which the MMEB rules apply; VLM2Vec hard-codes 28 rather than deriving it. */
const MMEB_MIN_SIDE = 28;
/** Square size the `"mmeb"` rule resizes tiny images to. */
const MMEB_SQUARE = 56;

/** Applies `rule` to `image`; returns it untouched when both sides are at least 28 px or the rule is "reject". */
export function applySmallImageRule(image: RgbImage, rule: SmallImageRule): RgbImage {
  const small = image.width < MMEB_MIN_SIDE || image.height < MMEB_MIN_SIDE;
  if (!small || rule === "reject") return image;
  if (rule === "mmeb") return pilResizeBicubic(image, MMEB_SQUARE, MMEB_SQUARE);
  // VLM2Vec resizes width then height in two calls; one resize to both sizes gives the same bytes because
  // Pillow's two passes are exactly those two single-axis resizes.
  return pilResizeBicubic(image, Math.max(image.width, MMEB_MIN_SIDE), Math.max(image.height, MMEB_MIN_SIDE));
}
