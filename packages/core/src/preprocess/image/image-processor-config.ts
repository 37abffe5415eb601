import { InvalidOptionError } from "../../errors.js";
import type { SmallImageRule } from "./small-image-rule.js";

/** The settings of Qwen2-VL's image processor that change its output. */
export interface ImageProcessorConfig {
  /** Side of a vision patch in pixels. Default 14. */
  patchSize: number;
  /** Frames per temporal patch; a still image is repeated this many times. Default 2. */
  temporalPatchSize: number;
  /** Patches merged per side into one LLM token. Default 2. */
  mergeSize: number;
  /** Lower bound on resized pixels. Default `56 * 56`. */
  minPixels: number;
  /** Upper bound on resized pixels. Default `28 * 28 * 1280`. */
  maxPixels: number;
  /** Per-channel mean after rescaling to [0, 1]. Default OpenAI CLIP's. */
  imageMean: [number, number, number];
  /** Per-channel standard deviation. Default OpenAI CLIP's. */
  imageStd: [number, number, number];
  /** Resampling filter; only Pillow's bicubic, which Qwen2-VL uses. Default "bicubic". */
  resample?: "bicubic";
  /** Handling of images with a side under 28 px. Default "reject"; see {@link SmallImageRule}. */
  smallImageRule?: SmallImageRule;
}

/** Qwen2.5-VL's defaults (transformers' `Qwen2VLImageProcessor.__init__`). */
export const QWEN2_VL_IMAGE_DEFAULTS: Readonly<ImageProcessorConfig> = Object.freeze<ImageProcessorConfig>({
  patchSize: 14,
  temporalPatchSize: 2,
  mergeSize: 2,
  minPixels: 56 * 56,
  maxPixels: 28 * 28 * 1280,
  imageMean: [0.48145466, 0.4578275, 0.40821073],
  imageStd: [0.26862954, 0.26130258, 0.27577711],
  resample: "bicubic",
  smallImageRule: "reject",
});

/** Settings that override what `preprocessor_config.json` says. */
export type ImageProcessorOverrides = Partial<Pick<ImageProcessorConfig, "minPixels" | "maxPixels" | "smallImageRule">>;

/**
 * Reads a Hugging Face `preprocessor_config.json` (already parsed) into an {@link ImageProcessorConfig}.
 *
 * Pixel bounds come from `min_pixels`/`max_pixels`, else `size.shortest_edge`/`size.longest_edge` (newer files),
 * else the defaults. Note that transformers 4.51.3 itself ignores `size` when loading (a bug fixed later), so a
 * file with only `size` loads there with the defaults; we honour `size`, as current transformers does.
 *
 * @example
 * const config = imageProcessorConfigFromJson(JSON.parse(text), { maxPixels: 512 * 28 * 28 });
 */
export function imageProcessorConfigFromJson(json: unknown, overrides: ImageProcessorOverrides = {}): ImageProcessorConfig {
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new InvalidOptionError("preprocessor_config.json must hold a JSON object.");
  }
  const j = json as Record<string, unknown>;
  const size = typeof j.size === "object" && j.size !== null ? (j.size as Record<string, unknown>) : {};
  const d = QWEN2_VL_IMAGE_DEFAULTS;
  const config: ImageProcessorConfig = {
    patchSize: positiveInt(j.patch_size, "patch_size") ?? d.patchSize,
    temporalPatchSize: positiveInt(j.temporal_patch_size, "temporal_patch_size") ?? d.temporalPatchSize,
    mergeSize: positiveInt(j.merge_size, "merge_size") ?? d.mergeSize,
    minPixels:
      overrides.minPixels ??
      positiveInt(j.min_pixels, "min_pixels") ??
      positiveInt(size.shortest_edge, "size.shortest_edge") ??
      d.minPixels,
    maxPixels:
      overrides.maxPixels ??
      positiveInt(j.max_pixels, "max_pixels") ??
      positiveInt(size.longest_edge, "size.longest_edge") ??
      d.maxPixels,
    imageMean: triple(j.image_mean, "image_mean") ?? [...d.imageMean],
    imageStd: triple(j.image_std, "image_std") ?? [...d.imageStd],
    resample: "bicubic",
    smallImageRule: overrides.smallImageRule ?? d.smallImageRule ?? "reject",
  };
  if (j.resample !== undefined && j.resample !== 3) {
    // PIL's enum: 3 is BICUBIC, the only filter we implement.
    throw new InvalidOptionError(`preprocessor_config.json has resample ${String(j.resample)}; only 3 (BICUBIC) is supported.`);
  }
  if (!config.imageStd.every((v) => Number.isFinite(v) && v > 0) || !config.imageMean.every(Number.isFinite)) {
    throw new InvalidOptionError(
      `preprocessor_config.json: image_std must be positive and image_mean finite, got ${JSON.stringify(config.imageStd)} and ${JSON.stringify(config.imageMean)}.`,
    );
  }
  if (config.minPixels > config.maxPixels) {
    throw new InvalidOptionError(`minPixels (${config.minPixels}) is larger than maxPixels (${config.maxPixels}).`);
  }
  return config;
}

function positiveInt(value: unknown, key: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value) || value <= 0) {
    throw new InvalidOptionError(`preprocessor_config.json: ${key} must be a positive integer, got ${JSON.stringify(value)}.`);
  }
  return value;
}

function triple(value: unknown, key: string): [number, number, number] | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "number") return [value, value, value]; // transformers broadcasts a scalar
  if (!Array.isArray(value) || value.length !== 3 || !value.every((v) => typeof v === "number")) {
    throw new InvalidOptionError(`preprocessor_config.json: ${key} must be three numbers, got ${JSON.stringify(value)}.`);
  }
  const [a, b, c] = value as [number, number, number];
  return [a, b, c];
}
