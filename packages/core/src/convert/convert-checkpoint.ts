import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { GRAPHS } from "../bundle/bundle-files.js";
import { graphFileName, parseDtype, type RgeDtype } from "../bundle/dtype.js";
import { CONVERTER_PRODUCER, converterGraphVersion } from "../bundle/manifest.js";
import { CheckpointInvalidError, InvalidOptionError } from "../errors.js";
import { ExternalDataWriter } from "../graph/external-data.js";
import { GraphBuilder } from "../graph/graph-builder.js";
import { precisionOf } from "../graph/precision.js";
import { buildDecoderGraph } from "../graph/qwen2-5-vl/decoder-graph.js";
import { buildEmbedTokensGraph } from "../graph/qwen2-5-vl/embed-tokens-graph.js";
import { buildVisionGraph } from "../graph/qwen2-5-vl/vision-graph.js";
import type { WeightSource } from "../graph/qwen2-5-vl/weights.js";
import { findChatTemplate, findEmbToken, writeBundleConfigs, writeManifest } from "./bundle-writer.js";
import { openCheckpoint, type Checkpoint } from "./checkpoint.js";

export interface ConvertOptions {
  /** Weight precisions to write; each gives its own set of graph files. Default `["fp32"]`. */
  dtypes?: RgeDtype[];
  /** Default rationale budget recorded in the bundle. Default 128 (the reference's). */
  maxNewTokens?: number;
  /** Store weights in `.onnx_data` files beside the graphs. Default "auto": when a graph's weights exceed 1 GiB. */
  externalData?: "auto" | "always" | "never";
  /**
   * Decoder KV outputs. `"new"` (default): only each call's keys and values, so the engine keeps the cache in
   * place (no copy of the whole cache per step). `"present"`: the transformers.js contract (`present.*` = past +
   * new), for bundles other tools should drive too.
   */
  kvOutputs?: "new" | "present";
  /** Replace an existing non-empty output directory. Default false. */
  overwrite?: boolean;
  /** Called as tensors are written. */
  onProgress?: (progress: ConvertProgress) => void;
}

export interface ConvertProgress {
  dtype: RgeDtype;
  graph: string;
  /** Checkpoint bytes converted so far (all dtypes counted) and in total. */
  bytesDone: number;
  bytesTotal: number;
}

export interface ConvertResult {
  dir: string;
  /** Files written, relative to `dir`, with sizes. */
  files: { path: string; bytes: number }[];
}

const GiB = 1024 ** 3;

/**
 * Converts a Hugging Face Qwen2.5-VL RGE checkpoint (config, safetensors in bf16/fp16/fp32, tokenizer,
 * processor config) into an RGE bundle: the three ONNX graphs built in TypeScript from the weights, plus
 * configs, tokenizer and `rge.json`. Tensors are read one at a time and written straight to the output,
 * so memory stays near the size of the largest tensor.
 *
 * @example
 * await convertCheckpoint("./RGE", "./rge-bundle", { dtypes: ["fp32", "q4"], onProgress: console.log });
 */
export async function convertCheckpoint(checkpointDir: string, outDir: string, options: ConvertOptions = {}): Promise<ConvertResult> {
  const dtypes = (options.dtypes ?? ["fp32"]).map((d) => parseDtype(d));
  for (const d of dtypes) precisionOf(d); // rejects dtypes the converter cannot write, before any work
  const from = resolve(checkpointDir);
  const to = resolve(outDir);
  prepareOutput(to, options.overwrite ?? false);
  const tokenizerPath = join(from, "tokenizer.json");
  if (!existsSync(tokenizerPath) || !existsSync(join(from, "tokenizer_config.json"))) {
    throw new CheckpointInvalidError(`The checkpoint in ${from} has no tokenizer.json or tokenizer_config.json.`);
  }
  const embTokenId = findEmbToken(JSON.parse(readFileSync(tokenizerPath, "utf8")), "<emb>", tokenizerPath);
  const chatTemplate = findChatTemplate(from);
  if (!chatTemplate) throw new CheckpointInvalidError(`The checkpoint in ${from} has no chat template.`);

  const checkpoint = openCheckpoint(from);
  try {
    checkWeights(checkpoint);
    mkdirSync(join(to, "onnx"), { recursive: true });
    const tied = checkpoint.config.text.tieWordEmbeddings || !checkpoint.has("lm_head.weight");
    const graphs: [string, (g: GraphBuilder, w: WeightSource) => void, (name: string) => boolean][] = [
      [GRAPHS.embedTokens, (g, w) => buildEmbedTokensGraph(g, checkpoint.config.text, w), (n) => n === "model.embed_tokens.weight"],
      [GRAPHS.visionEncoder, (g, w) => buildVisionGraph(g, checkpoint.config.vision, w), (n) => n.startsWith("visual.")],
      [
        GRAPHS.decoder,
        (g, w) => buildDecoderGraph(g, checkpoint.config.text, w, { kvOutputs: options.kvOutputs ?? "new" }),
        (n) => (n === "model.embed_tokens.weight" ? tied : n.startsWith("model.") || n === "lm_head.weight"),
      ],
    ];
    const ownedBytes = (owns: (n: string) => boolean) => checkpoint.names.filter(owns).reduce((s, n) => s + checkpoint.storedBytes(n), 0);
    const progress = { done: 0, total: dtypes.length * graphs.reduce((s, [, , owns]) => s + ownedBytes(owns), 0) };
    for (const dtype of dtypes) {
      for (const [graph, build, owns] of graphs) {
        const weightBytes = ownedBytes(owns);
        const external =
          options.externalData === "always" || (options.externalData !== "never" && weightBytes * 2 > GiB); // stored bf16/fp16 → fp32
        writeGraph(to, graph, dtype, external, (g) =>
          build(g, tracked(checkpoint, (bytes) => {
            progress.done += bytes;
            options.onProgress?.({ dtype, graph, bytesDone: progress.done, bytesTotal: progress.total });
          })),
        );
      }
    }
  } finally {
    checkpoint.close();
  }
  writeBundleConfigs(from, to, chatTemplate);
  writeManifest(to, {
    embToken: "<emb>",
    embTokenId,
    embeddingDim: checkpoint.config.text.hiddenSize,
    maxNewTokens: options.maxNewTokens ?? 128,
    dtypes,
    source: {
      checkpoint: basename(from),
      producer: CONVERTER_PRODUCER,
      createdAt: new Date().toISOString(),
      graphVersions: Object.fromEntries(dtypes.map((d) => [d, converterGraphVersion(d)])),
    },
  });
  return { dir: to, files: listFiles(to) };
}

function prepareOutput(to: string, overwrite: boolean): void {
  if (existsSync(to) && statSync(to).isDirectory() && readdirNonEmpty(to)) {
    if (!overwrite) throw new InvalidOptionError(`Output directory ${to} is not empty; pass overwrite (--overwrite) to replace it.`);
    rmSync(to, { recursive: true, force: true });
  }
  mkdirSync(to, { recursive: true });
}

function readdirNonEmpty(dir: string): boolean {
  return readdirSync(dir).length > 0;
}

function writeGraph(to: string, graph: string, dtype: RgeDtype, external: boolean, build: (g: GraphBuilder) => void): void {
  const file = join(to, "onnx", graphFileName(graph, dtype));
  const writer = external ? new ExternalDataWriter(`${file}_data`) : undefined;
  try {
    const g = new GraphBuilder(graph, { precision: precisionOf(dtype), ...(writer ? { external: writer } : {}) });
    build(g);
    writeFileSync(file, g.toBytes({ producer: "@rge/core convert" }));
  } finally {
    writer?.close();
  }
}

/** Wraps a weight source so each tensor read reports its stored size. */
function tracked(checkpoint: Checkpoint, onRead: (bytes: number) => void): WeightSource {
  return {
    has: (name) => checkpoint.has(name),
    get: (name) => {
      const t = checkpoint.get(name);
      onRead(checkpoint.storedBytes(name));
      return t;
    },
  };
}

/** Fails early, naming what is missing, instead of halfway through a multi-GB conversion. */
function checkWeights(checkpoint: Checkpoint): void {
  const { text, vision } = checkpoint.config;
  const required = ["model.embed_tokens.weight", "model.norm.weight", "visual.patch_embed.proj.weight", "visual.merger.ln_q.weight"];
  for (let i = 0; i < text.numLayers; i++) required.push(`model.layers.${i}.self_attn.q_proj.weight`, `model.layers.${i}.mlp.down_proj.weight`);
  for (let i = 0; i < vision.depth; i++) required.push(`visual.blocks.${i}.attn.qkv.weight`);
  if (!text.tieWordEmbeddings) required.push("lm_head.weight");
  const missing = required.filter((n) => !checkpoint.has(n));
  if (missing.length > 0) {
    throw new CheckpointInvalidError(
      `The checkpoint in ${checkpoint.dir} lacks ${missing.slice(0, 5).join(", ")}${missing.length > 5 ? ` and ${missing.length - 5} more` : ""} (a shard missing, or not a Qwen2.5-VL checkpoint).`,
    );
  }
}

function listFiles(dir: string, prefix = ""): { path: string; bytes: number }[] {
  const out: { path: string; bytes: number }[] = [];
  for (const entry of readdirSync(join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...listFiles(dir, rel));
    else out.push({ path: rel, bytes: statSync(join(dir, rel)).size });
  }
  return out.sort((a, b) => a.path.localeCompare(b.path));
}
