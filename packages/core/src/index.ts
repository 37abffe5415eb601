export {
  loadRgeModel,
  RgeModel,
  type EmbedOptions,
  type PreparedPrompt,
  type LoadRgeModelOptions,
  type QueryEmbedding,
  type QueryEmbedOptions,
  type RgeModelStats,
  type Settled,
  type TargetEmbedding,
} from "./engine/rge-model.js";
export type { RgeInput } from "./engine/prepare.js";
export type { RationaleToken } from "./engine/rationale-stream.js";
export type { QueryStream } from "./engine/query-stream.js";
export type { RgeDevice } from "./device/device.js";
export { checkOptions, definedFields, invalidOption, optionRules, type OptionRule } from "./options/option-rules.js";
export { probeProvider, type ProbeResult } from "./engine/provider-canary.js";
export type { RgeDtype } from "./bundle/dtype.js";
export { DTYPES } from "./bundle/dtype.js";
export { dot } from "./engine/vector.js";
export { DEFAULT_INSTRUCTIONS } from "./preprocess/prompt.js";
export type { ImageSource, SmallImageRule } from "./preprocess/image/index.js";
export { isHubId, readBundle, type Bundle, type Json } from "./bundle/load-bundle.js";
export type { GenerationSettings } from "./bundle/generation-settings.js";
export type { Qwen25VlConfig, TextModelConfig, VisionModelConfig } from "./graph/qwen2-5-vl/config.js";
export { pullModel, pullCheckpoint, type PullModelOptions, type PulledModel } from "./hub/pull.js";
export type { PullProgress, RepoKind, Snapshot } from "./hub/snapshot.js";
export type { RepoId } from "./hub/repo-ref.js";
export type { HubClientOptions } from "./hub/hub-client.js";
export { listCache, removeFromCache, type CacheListing, type CacheLocations, type CachedBundleEntry, type CachedCheckpointEntry, type RemoveFromCacheOptions } from "./hub/cache-admin.js";
export { BUNDLE_FORMAT_VERSION, converterGraphVersion, hasOutdatedGraphs, type RgeManifest } from "./bundle/manifest.js";
export { convertCheckpoint, type ConvertOptions, type ConvertProgress, type ConvertResult } from "./convert/convert-checkpoint.js";
export { makeDecoderRgeReady, type DecoderEditResult, type GraphEditStage, type MakeDecoderRgeReadyOptions } from "./convert/graph-edit.js";
export { connectRgeModel, isServerUrl, RgeRemoteModel, type ConnectRgeModelOptions } from "./remote/rge-remote-model.js";
export type {
  ContentPart,
  EmbeddingItem,
  EmbeddingsRequest,
  EmbeddingsResponse,
  EmbeddingsStreamEvent,
  EmbeddingsUsage,
  ErrorBody,
  ModelList,
  RationaleDelta,
  ServedModel,
  StreamedError,
} from "./remote/embeddings-api.js";
export * from "./errors.js";
