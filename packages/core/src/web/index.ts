// @rge/core/web: the same engine as @rge/core, on onnxruntime-web, for browsers and Web Workers. Nothing here
// imports Node's modules, onnxruntime-node or sharp (a test walks this entry's module graph to keep it so).
export { loadRgeModel, type WebDevice, type WebLoadRgeModelOptions } from "./load.js";
export type { WebBundleSource, WebLoadProgress } from "./bundle-files.js";
export { decodeWebImage, readWebImageSource } from "./image-loader.js";
export { exposeRgeModel, type ExposeRgeModelOptions } from "./worker-host.js";
export { RgeWorkerModel } from "./worker-model.js";
export type { MessagePortLike } from "./worker-protocol.js";
export {
  RgeModel,
  type EmbedOptions,
  type EngineOptions,
  type PreparedPrompt,
  type QueryEmbedding,
  type QueryEmbedOptions,
  type RgeModelStats,
  type Settled,
  type TargetEmbedding,
} from "../engine/model.js";
export type { RgeInput } from "../engine/prepare.js";
export type { RationaleToken } from "../engine/rationale-stream.js";
export type { QueryStream } from "../engine/query-stream.js";
export type { RgeDtype } from "../bundle/dtype.js";
export { DTYPES } from "../bundle/dtype.js";
export type { Bundle, Json } from "../bundle/parse-bundle.js";
export { dot } from "../engine/vector.js";
export { DEFAULT_INSTRUCTIONS } from "../preprocess/prompt.js";
export type { ImageSource, SourceBytes } from "../preprocess/image/source-bytes.js";
export type { ReadImageSourceOptions } from "../preprocess/image/image-loader.js";
export type { RgbImage } from "../preprocess/image/rgb-image.js";
export type { DecodeImageOptions } from "../preprocess/image/decode-options.js";
export type { SmallImageRule } from "../preprocess/image/small-image-rule.js";
export * from "../errors.js";
