import { existsSync, readFileSync, statSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { BundleIncompleteError, BundleMismatchError, BundleNotFoundError } from "../errors.js";
import { parseQwen25VlConfig, type Qwen25VlConfig } from "../graph/qwen2-5-vl/config.js";
import { CONFIG_FILES, graphPaths } from "./bundle-files.js";
import type { RgeDtype } from "./dtype.js";
import { parseGenerationSettings, type GenerationSettings } from "./generation-settings.js";
import { parseManifest, MANIFEST_FILE, type RgeManifest } from "./manifest.js";

/** A JSON object as parsed from one of the bundle's files, not checked further. */
export type Json = Record<string, unknown>;

/** Everything read from a bundle directory before any ONNX session is created. */
export interface Bundle {
  dir: string;
  dtype: RgeDtype;
  manifest: RgeManifest;
  config: Qwen25VlConfig;
  generation: GenerationSettings;
  preprocessorConfig: Json;
  tokenizerJson: Json;
  tokenizerConfig: Json;
  /** Absolute paths of the three graphs for `dtype`. */
  graphs: { visionEncoder: string; embedTokens: string; decoder: string };
}

/** Looks like a Hugging Face repo id (`org/name`) rather than a path. */
export function isHubId(ref: string): boolean {
  return !isAbsolute(ref) && !ref.startsWith(".") && /^[\w.-]+\/[\w.-]+$/.test(ref) && !existsSync(ref);
}

/** Reads and cross-checks a local bundle directory. Makes no network requests. */
export function readBundle(dirLike: string, dtype: RgeDtype): Bundle {
  const dir = resolve(dirLike);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    const what = existsSync(dir) ? "it is a file, not a directory" : "the directory does not exist";
    throw new BundleNotFoundError(
      `No RGE bundle at ${dir}: ${what}. Pass the path of a bundle made by \`rge convert\`, ` +
        `or a Hugging Face repo id with \`allowNetwork: true\`.`,
    );
  }
  const graphs = graphPaths(dtype);
  const missing = [...CONFIG_FILES, ...Object.values(graphs)].filter((f) => !existsSync(join(dir, f)));
  if (missing.length > 0) {
    const onlyGraphs = missing.every((m) => m.startsWith("onnx/"));
    const hint = onlyGraphs
      ? `The bundle has no ${dtype} graphs; convert with \`--dtype ${dtype}\` or load another dtype.`
      : "The bundle is partial; re-run `rge convert` or finish the download.";
    throw new BundleIncompleteError(`RGE bundle at ${dir} is missing ${missing.join(", ")}. ${hint}`, missing);
  }
  const readJson = (name: string): Json => {
    try {
      return JSON.parse(readFileSync(join(dir, name), "utf8")) as Json;
    } catch (cause) {
      throw new BundleMismatchError(`${join(dir, name)} is not valid JSON.`, { cause });
    }
  };
  const manifest = parseManifest(readJson(MANIFEST_FILE), join(dir, MANIFEST_FILE));
  let config: Qwen25VlConfig;
  try {
    config = parseQwen25VlConfig(readJson("config.json"));
  } catch (cause) {
    if (cause instanceof BundleMismatchError) throw cause;
    throw new BundleMismatchError(`${join(dir, "config.json")}: ${(cause as Error).message}`, { cause });
  }
  if (manifest.embeddingDim !== config.text.hiddenSize) {
    throw new BundleMismatchError(
      `rge.json says embeddingDim ${manifest.embeddingDim} but config.json has hidden_size ${config.text.hiddenSize}.`,
    );
  }
  const tokenizerJson = readJson("tokenizer.json");
  checkEmbToken(tokenizerJson, manifest, dir);
  const generationPath = join(dir, "generation_config.json");
  return {
    dir,
    dtype,
    manifest,
    config,
    generation: parseGenerationSettings(existsSync(generationPath) ? readJson("generation_config.json") : undefined, generationPath),
    preprocessorConfig: readJson("preprocessor_config.json"),
    tokenizerJson,
    tokenizerConfig: readJson("tokenizer_config.json"),
    graphs: {
      visionEncoder: join(dir, graphs.visionEncoder),
      embedTokens: join(dir, graphs.embedTokens),
      decoder: join(dir, graphs.decoder),
    },
  };
}

function checkEmbToken(tokenizerJson: Json, manifest: RgeManifest, dir: string): void {
  const added = (tokenizerJson.added_tokens as { id: number; content: string }[] | undefined) ?? [];
  const vocab = ((tokenizerJson.model as Json | undefined)?.vocab as Record<string, number> | undefined) ?? {};
  const id = added.find((t) => t.content === manifest.embToken)?.id ?? vocab[manifest.embToken];
  if (id === undefined) {
    throw new BundleMismatchError(
      `${join(dir, "tokenizer.json")} has no ${manifest.embToken} token; an RGE checkpoint must add it. ` +
        `Was the bundle converted from the base Qwen2.5-VL model instead of RGE?`,
    );
  }
  if (id !== manifest.embTokenId) {
    throw new BundleMismatchError(
      `rge.json says ${manifest.embToken} is token ${manifest.embTokenId}, the tokenizer says ${id}.`,
    );
  }
}
