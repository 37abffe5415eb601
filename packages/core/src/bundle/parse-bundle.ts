import { BundleMismatchError } from "../errors.js";
import { parseQwen25VlConfig, type Qwen25VlConfig } from "../graph/qwen2-5-vl/config.js";
import { graphPaths } from "./bundle-files.js";
import type { RgeDtype } from "./dtype.js";
import { parseGenerationSettings, type GenerationSettings } from "./generation-settings.js";
import { parseManifest, MANIFEST_FILE, type RgeManifest } from "./manifest.js";

/** A JSON object as parsed from one of the bundle's files, not checked further. */
export type Json = Record<string, unknown>;

/** Everything read from a bundle (a directory, or a URL in browsers) before any ONNX session is created. */
export interface Bundle {
  /** Where the bundle is: its directory, or its base URL in browsers. */
  dir: string;
  dtype: RgeDtype;
  manifest: RgeManifest;
  config: Qwen25VlConfig;
  generation: GenerationSettings;
  preprocessorConfig: Json;
  tokenizerJson: Json;
  tokenizerConfig: Json;
  /** The three graphs for `dtype`: absolute paths, or URLs in browsers. */
  graphs: { visionEncoder: string; embedTokens: string; decoder: string };
}

/**
 * Parses and cross-checks a bundle's files, given as texts by name (`rge.json`, the configs, the tokenizer;
 * `generation_config.json` may be absent), the same way in every runtime. `locate` turns a file name into where
 * it is (a path or URL), for graphs and messages.
 */
export function parseBundle(dir: string, dtype: RgeDtype, texts: ReadonlyMap<string, string>, locate: (name: string) => string): Bundle {
  const graphs = graphPaths(dtype);
  const readJson = (name: string): Json => {
    try {
      return JSON.parse(texts.get(name)!) as Json;
    } catch (cause) {
      throw new BundleMismatchError(`${locate(name)} is not valid JSON.`, { cause });
    }
  };
  const manifest = parseManifest(readJson(MANIFEST_FILE), locate(MANIFEST_FILE));
  let config: Qwen25VlConfig;
  try {
    config = parseQwen25VlConfig(readJson("config.json"));
  } catch (cause) {
    if (cause instanceof BundleMismatchError) throw cause;
    throw new BundleMismatchError(`${locate("config.json")}: ${(cause as Error).message}`, { cause });
  }
  if (manifest.embeddingDim !== config.text.hiddenSize) {
    throw new BundleMismatchError(
      `rge.json says embeddingDim ${manifest.embeddingDim} but config.json has hidden_size ${config.text.hiddenSize}.`,
    );
  }
  const tokenizerJson = readJson("tokenizer.json");
  checkEmbToken(tokenizerJson, manifest, locate("tokenizer.json"));
  const generationPath = locate("generation_config.json");
  return {
    dir,
    dtype,
    manifest,
    config,
    generation: parseGenerationSettings(texts.has("generation_config.json") ? readJson("generation_config.json") : undefined, generationPath),
    preprocessorConfig: readJson("preprocessor_config.json"),
    tokenizerJson,
    tokenizerConfig: readJson("tokenizer_config.json"),
    graphs: {
      visionEncoder: locate(graphs.visionEncoder),
      embedTokens: locate(graphs.embedTokens),
      decoder: locate(graphs.decoder),
    },
  };
}

function checkEmbToken(tokenizerJson: Json, manifest: RgeManifest, tokenizerFile: string): void {
  const added = (tokenizerJson.added_tokens as { id: number; content: string }[] | undefined) ?? [];
  const vocab = ((tokenizerJson.model as Json | undefined)?.vocab as Record<string, number> | undefined) ?? {};
  const id = added.find((t) => t.content === manifest.embToken)?.id ?? vocab[manifest.embToken];
  if (id === undefined) {
    throw new BundleMismatchError(
      `${tokenizerFile} has no ${manifest.embToken} token; an RGE checkpoint must add it. ` +
        `Was the bundle converted from the base Qwen2.5-VL model instead of RGE?`,
    );
  }
  if (id !== manifest.embTokenId) {
    throw new BundleMismatchError(
      `rge.json says ${manifest.embToken} is token ${manifest.embTokenId}, the tokenizer says ${id}.`,
    );
  }
}
