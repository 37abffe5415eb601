import type { LoadRgeModelOptions } from "@rge/core";

/**
 * How the reference's MMEB run preprocesses images (`scripts/evaluate.sh`): 256 to 1024 merged tokens per image
 * (`--min_patch_size 256 --max_patch_size 1024`), and a side under 28 px stretched to 28 (`--image_resolution
 * original`). Applied when `evaluateMmeb` loads the bundle itself.
 */
export const MMEB_MODEL_OPTIONS = {
  minPixels: 256 * 28 * 28,
  maxPixels: 1024 * 28 * 28,
  smallImageRule: "stretch-to-factor",
} as const satisfies LoadRgeModelOptions;
