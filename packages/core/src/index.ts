export {
  loadRgeModel,
  RgeModel,
  type EmbedOptions,
  type PreparedPrompt,
  type LoadRgeModelOptions,
  type QueryEmbedding,
  type QueryEmbedOptions,
  type Settled,
  type TargetEmbedding,
} from "./engine/rge-model.js";
export type { RgeInput } from "./engine/prepare.js";
export type { RgeDevice } from "./device/device.js";
export { checkOptions, invalidOption, optionRules, type OptionRule } from "./options/option-rules.js";
export { probeProvider, type ProbeResult } from "./engine/provider-canary.js";
export type { RgeDtype } from "./bundle/dtype.js";
export { DTYPES } from "./bundle/dtype.js";
export { dot } from "./engine/vector.js";
export { DEFAULT_INSTRUCTIONS } from "./preprocess/prompt.js";
export type { ImageSource, SmallImageRule } from "./preprocess/image/index.js";
export { readBundle, type Bundle } from "./bundle/load-bundle.js";
export { downloadBundle, type HubDownloadOptions } from "./bundle/hub-download.js";
export { BUNDLE_FORMAT_VERSION, type RgeManifest } from "./bundle/manifest.js";
export { convertCheckpoint, type ConvertOptions, type ConvertProgress, type ConvertResult } from "./convert/convert-checkpoint.js";
export { makeDecoderRgeReady, type DecoderEditResult, type GraphEditStage, type MakeDecoderRgeReadyOptions } from "./convert/graph-edit.js";
export * from "./errors.js";
