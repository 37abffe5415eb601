export { DEFAULT_MAX_IMAGE_PIXELS, decodeImage, type DecodeImageOptions } from "./decode-image.js";
export { CONCURRENT_DECODES, DecodeSlots } from "./decode-slots.js";
export {
  imageProcessorConfigFromJson,
  QWEN2_VL_IMAGE_DEFAULTS,
  type ImageProcessorConfig,
  type ImageProcessorOverrides,
} from "./image-processor-config.js";
export { checkImageLimits, DEFAULT_MAX_IMAGE_BYTES } from "./image-limits.js";
export {
  loadImage,
  NODE_IMAGE_LOADER,
  readImageSource,
  type ImageSource,
  type LoadImageOptions,
  type ReadImageSourceOptions,
  type SourceBytes,
} from "./image-source.js";
export type { ImageLoader } from "./image-loader.js";
export { pilResizeBicubic } from "./pil-resize.js";
export {
  imageTokenCount,
  preprocessImage,
  type ImageGrid,
  type PreprocessedImage,
} from "./qwen2-vl-image-processor.js";
export type { RgbImage } from "./rgb-image.js";
export type { SmallImageRule } from "./small-image-rule.js";
export { MAX_ASPECT_RATIO, smartResize, type ResizedSize, type SmartResizeOptions } from "./smart-resize.js";
