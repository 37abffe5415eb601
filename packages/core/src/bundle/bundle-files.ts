import type { RgeDtype } from "./dtype.js";
import { graphFileName } from "./dtype.js";
import { MANIFEST_FILE } from "./manifest.js";

/** The three graphs of a Qwen2.5-VL bundle, by the names transformers.js uses. */
export const GRAPHS = {
  visionEncoder: "vision_encoder",
  embedTokens: "embed_tokens",
  decoder: "decoder_model_merged",
} as const;

export const CONFIG_FILES = [
  MANIFEST_FILE,
  "config.json",
  "preprocessor_config.json",
  "tokenizer.json",
  "tokenizer_config.json",
] as const;

/** `generation_config.json` is optional: without it decoding is plain greedy. */
export const OPTIONAL_FILES = ["generation_config.json"] as const;

export function graphPaths(dtype: RgeDtype): Record<keyof typeof GRAPHS, string> {
  return {
    visionEncoder: `onnx/${graphFileName(GRAPHS.visionEncoder, dtype)}`,
    embedTokens: `onnx/${graphFileName(GRAPHS.embedTokens, dtype)}`,
    decoder: `onnx/${graphFileName(GRAPHS.decoder, dtype)}`,
  };
}
