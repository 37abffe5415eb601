import { describe, expect, it } from "vitest";
import { ImageShapeError, InvalidOptionError } from "../../errors.js";
import { imageProcessorConfigFromJson, QWEN2_VL_IMAGE_DEFAULTS } from "./image-processor-config.js";
import { preprocessImage } from "./qwen2-vl-image-processor.js";

// Qwen/Qwen2.5-VL-3B-Instruct's preprocessor_config.json.
const QWEN25_VL_JSON = {
  min_pixels: 3136,
  max_pixels: 12845056,
  patch_size: 14,
  temporal_patch_size: 2,
  merge_size: 2,
  image_mean: [0.48145466, 0.4578275, 0.40821073],
  image_std: [0.26862954, 0.26130258, 0.27577711],
  image_processor_type: "Qwen2VLImageProcessor",
  processor_class: "Qwen2_5_VLProcessor",
};

describe("imageProcessorConfigFromJson", () => {
  it("reads Qwen2.5-VL's preprocessor_config.json", () => {
    expect(imageProcessorConfigFromJson(QWEN25_VL_JSON)).toEqual({ ...QWEN2_VL_IMAGE_DEFAULTS, maxPixels: 12845056 });
  });

  it("falls back to Qwen2-VL defaults for an empty file", () => {
    expect(imageProcessorConfigFromJson({})).toEqual(QWEN2_VL_IMAGE_DEFAULTS);
  });

  it("reads size.shortest_edge / size.longest_edge, with min_pixels / max_pixels taking precedence", () => {
    expect(imageProcessorConfigFromJson({ size: { shortest_edge: 100, longest_edge: 5000 } })).toMatchObject({
      minPixels: 100,
      maxPixels: 5000,
    });
    expect(
      imageProcessorConfigFromJson({ min_pixels: 200, size: { shortest_edge: 100, longest_edge: 5000 } }),
    ).toMatchObject({ minPixels: 200, maxPixels: 5000 });
  });

  it("lets the caller override the pixel bounds and the small-image rule", () => {
    const config = imageProcessorConfigFromJson(QWEN25_VL_JSON, { minPixels: 1, maxPixels: 784, smallImageRule: "mmeb" });
    expect(config).toMatchObject({ minPixels: 1, maxPixels: 784, smallImageRule: "mmeb" });
  });

  it("rejects malformed values with InvalidOptionError", () => {
    expect(() => imageProcessorConfigFromJson([])).toThrow(InvalidOptionError);
    expect(() => imageProcessorConfigFromJson({ patch_size: "14" })).toThrow(/patch_size must be a positive integer/);
    expect(() => imageProcessorConfigFromJson({ image_mean: [0.5, 0.5] })).toThrow(/image_mean must be three numbers/);
    expect(() => imageProcessorConfigFromJson({ resample: 2 })).toThrow(/only 3 \(BICUBIC\)/);
    expect(() => imageProcessorConfigFromJson({ min_pixels: 10, max_pixels: 5 })).toThrow(/larger than maxPixels/);
  });
});

describe("preprocessImage small-image rules", () => {
  const tiny = { width: 20, height: 60, data: new Uint8Array(20 * 60 * 3).fill(128) };

  it("rejects a side under 28 px by default, naming the fix", () => {
    expect(() => preprocessImage(tiny, QWEN2_VL_IMAGE_DEFAULTS)).toThrow(ImageShapeError);
    expect(() => preprocessImage(tiny, QWEN2_VL_IMAGE_DEFAULTS)).toThrow(/smallImageRule: "mmeb"/);
  });

  it("resizes to 56 x 56 under the mmeb rule", () => {
    expect(preprocessImage(tiny, { ...QWEN2_VL_IMAGE_DEFAULTS, smallImageRule: "mmeb" }).grid).toEqual([1, 4, 4]);
  });
});
