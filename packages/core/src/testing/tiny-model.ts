import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { graphFileName, type RgeDtype } from "../bundle/dtype.js";
import { BUNDLE_FORMAT_VERSION, MANIFEST_FILE, type RgeManifest } from "../bundle/manifest.js";
import { GraphBuilder } from "../graph/graph-builder.js";
import { precisionOf } from "../graph/precision.js";
import type { Qwen25VlConfig } from "../graph/qwen2-5-vl/config.js";
import { buildDecoderGraph } from "../graph/qwen2-5-vl/decoder-graph.js";
import { buildEmbedTokensGraph } from "../graph/qwen2-5-vl/embed-tokens-graph.js";
import { buildVisionGraph } from "../graph/qwen2-5-vl/vision-graph.js";
import type { WeightSource } from "../graph/qwen2-5-vl/weights.js";
import { float32Tensor, type TensorData } from "../graph/tensor-data.js";
import { SeededRandom } from "./random.js";
import { TINY_SPECIAL_TOKENS, tinyTokenizerConfig, tinyTokenizerJson } from "./tiny-tokenizer.js";

/** How often the tiny model ends its rationale with `<emb>`. */
export type TinyEmbBehaviour = "never" | "sometimes";

export interface TinyModelOptions {
  /** PRNG seed; the same seed writes byte-identical files. Default 0. */
  seed?: number;
  /** `"sometimes"` (default) biases `<emb>` so rows stop after varied numbers of steps; `"never"` zeroes its logit row. */
  emb?: TinyEmbBehaviour;
  /** Scale of the `<emb>` logit row when `emb` is `"sometimes"`. Default 2.2 (tuned so most rationales stop within 2 to 30 tokens). */
  embStrength?: number;
  /** Decoder layers. Default 2. */
  numLayers?: number;
  /** `maxNewTokens` recorded in the manifest. Default 128. */
  maxNewTokens?: number;
  /** Vision transformer blocks (block 1 uses full attention, the others windows). Default 2. */
  visionDepth?: number;
  /** Written to generation_config.json. Default 1 (none). */
  repetitionPenalty?: number;
  /** Processor pixel bounds; defaults keep images at 4 to 16 merged tokens. */
  minPixels?: number;
  maxPixels?: number;
  /**
   * Decoder KV outputs: `"new"` (default) writes only each call's keys and values, the engine keeps the cache in
   * place; `"present"` is the transformers.js contract (past + new every call).
   */
  kvOutputs?: "new" | "present";
  /** Context length written to config.json. Default 4096. */
  maxPositionEmbeddings?: number;
  /** Precision of the graphs, as `rge convert --dtype` writes them (file suffix included). Default "fp32". */
  dtype?: RgeDtype;
}

export interface TinyBundle {
  dir: string;
  config: Qwen25VlConfig;
  embTokenId: number;
}

const FIRST_SPECIAL = 256;
const tokenId = (t: (typeof TINY_SPECIAL_TOKENS)[number]) => FIRST_SPECIAL + TINY_SPECIAL_TOKENS.indexOf(t);

/**
 * Writes a complete RGE bundle with a Qwen2.5-VL-shaped model of random weights (a few hundred KB):
 * vision encoder, token embeddings, decoder with M-RoPE, grouped KV heads and KV cache, tokenizer with
 * the chat special tokens and `<emb>`, chat template, configs and manifest. Deterministic per seed.
 *
 * @example
 * const { dir } = writeTinyBundle("/tmp/tiny-rge", { seed: 1 });
 * const model = await loadRgeModel(dir);
 */
export function writeTinyBundle(dir: string, options: TinyModelOptions = {}): TinyBundle {
  const config = tinyConfig(options);
  const weights = tinyWeights(config, options);
  mkdirSync(join(dir, "onnx"), { recursive: true });
  const dtype = options.dtype ?? "fp32";
  const write = (name: string, build: (g: GraphBuilder) => void) => {
    const g = new GraphBuilder(name, { precision: precisionOf(dtype) });
    build(g);
    writeFileSync(join(dir, "onnx", graphFileName(name, dtype)), g.toBytes({ producer: "@rge/core tiny-model" }));
  };
  write("embed_tokens", (g) => buildEmbedTokensGraph(g, config.text, weights));
  write("decoder_model_merged", (g) => buildDecoderGraph(g, config.text, weights, { kvOutputs: options.kvOutputs ?? "new" }));
  write("vision_encoder", (g) => buildVisionGraph(g, config.vision, weights));

  const json = (name: string, value: unknown) => writeFileSync(join(dir, name), JSON.stringify(value, null, 2) + "\n");
  json("config.json", hfConfig(config));
  json("generation_config.json", {
    bos_token_id: tokenId("<|endoftext|>"),
    eos_token_id: [tokenId("<|im_end|>"), tokenId("<|endoftext|>")],
    pad_token_id: tokenId("<|endoftext|>"),
    do_sample: false,
    repetition_penalty: options.repetitionPenalty ?? 1,
  });
  json("preprocessor_config.json", {
    image_processor_type: "Qwen2VLImageProcessor",
    processor_class: "Qwen2_5_VLProcessor",
    do_resize: true,
    do_rescale: true,
    do_normalize: true,
    do_convert_rgb: true,
    rescale_factor: 1 / 255,
    resample: 3,
    image_mean: [0.48145466, 0.4578275, 0.40821073],
    image_std: [0.26862954, 0.26130258, 0.27577711],
    patch_size: config.vision.patchSize,
    temporal_patch_size: config.vision.temporalPatchSize,
    merge_size: config.vision.spatialMergeSize,
    min_pixels: options.minPixels ?? 28 * 28 * 4,
    max_pixels: options.maxPixels ?? 28 * 28 * 16,
  });
  json("tokenizer.json", tinyTokenizerJson());
  json("tokenizer_config.json", tinyTokenizerConfig());
  const manifest: RgeManifest = {
    format: "rge-bundle",
    formatVersion: BUNDLE_FORMAT_VERSION,
    architecture: "qwen2_5_vl",
    embToken: "<emb>",
    embTokenId: tokenId("<emb>"),
    embeddingDim: config.text.hiddenSize,
    maxNewTokens: options.maxNewTokens ?? 128,
    dtypes: [dtype],
    source: { producer: `@rge/core tiny-model seed=${options.seed ?? 0} emb=${options.emb ?? "sometimes"}` },
  };
  json(MANIFEST_FILE, manifest);
  return { dir, config, embTokenId: manifest.embTokenId };
}

export function tinyConfig(options: TinyModelOptions): Qwen25VlConfig {
  return {
    text: {
      hiddenSize: 32,
      numLayers: options.numLayers ?? 2,
      numHeads: 4,
      numKvHeads: 2,
      headDim: 8,
      intermediateSize: 64,
      vocabSize: FIRST_SPECIAL + TINY_SPECIAL_TOKENS.length,
      rmsNormEps: 1e-6,
      ropeTheta: 10_000,
      mropeSection: [2, 1, 1],
      tieWordEmbeddings: false,
      maxPositionEmbeddings: options.maxPositionEmbeddings ?? 4096,
    },
    vision: {
      hiddenSize: 16,
      outHiddenSize: 32,
      depth: options.visionDepth ?? 2,
      numHeads: 2,
      intermediateSize: 32,
      patchSize: 14,
      temporalPatchSize: 2,
      spatialMergeSize: 2,
      inChannels: 3,
      windowSize: 56,
      fullAttnBlockIndexes: [1],
    },
    imageTokenId: tokenId("<|image_pad|>"),
    videoTokenId: tokenId("<|video_pad|>"),
    visionStartTokenId: tokenId("<|vision_start|>"),
    visionEndTokenId: tokenId("<|vision_end|>"),
  };
}

/** Random weights under Hugging Face parameter names, scaled so activations stay near unit size. */
export function tinyWeights(config: Qwen25VlConfig, options: TinyModelOptions): WeightSource {
  const rng = new SeededRandom(options.seed ?? 0);
  const t = config.text;
  const v = config.vision;
  const tensors = new Map<string, TensorData>();
  const add = (name: string, dims: number[], std: number, mean = 0) =>
    tensors.set(name, float32Tensor(dims, rng.normals(dims.reduce((a, b) => a * b, 1), std, mean)));
  const linear = (name: string, out: number, inp: number, bias: boolean) => {
    add(`${name}.weight`, [out, inp], 1 / Math.sqrt(inp));
    if (bias) add(`${name}.bias`, [out], 0.1);
  };

  add("model.embed_tokens.weight", [t.vocabSize, t.hiddenSize], 1);
  const kvDim = t.numKvHeads * t.headDim;
  for (let i = 0; i < t.numLayers; i++) {
    const p = `model.layers.${i}`;
    add(`${p}.input_layernorm.weight`, [t.hiddenSize], 0.1, 1);
    linear(`${p}.self_attn.q_proj`, t.numHeads * t.headDim, t.hiddenSize, true);
    linear(`${p}.self_attn.k_proj`, kvDim, t.hiddenSize, true);
    linear(`${p}.self_attn.v_proj`, kvDim, t.hiddenSize, true);
    linear(`${p}.self_attn.o_proj`, t.hiddenSize, t.numHeads * t.headDim, false);
    add(`${p}.post_attention_layernorm.weight`, [t.hiddenSize], 0.1, 1);
    linear(`${p}.mlp.gate_proj`, t.intermediateSize, t.hiddenSize, false);
    linear(`${p}.mlp.up_proj`, t.intermediateSize, t.hiddenSize, false);
    linear(`${p}.mlp.down_proj`, t.hiddenSize, t.intermediateSize, false);
  }
  add("model.norm.weight", [t.hiddenSize], 0.1, 1);

  // Untied random head (a copy of the embeddings would make the model repeat its input token forever);
  // its <emb> row sets how often a rationale ends.
  const head = rng.normals(t.vocabSize * t.hiddenSize, 1);
  const embRow = tokenId("<emb>") * t.hiddenSize;
  const direction = rng.normals(t.hiddenSize, 1);
  const strength = options.emb === "never" ? 0 : (options.embStrength ?? 2.2);
  for (let j = 0; j < t.hiddenSize; j++) head[embRow + j] = strength * direction[j]!;
  tensors.set("lm_head.weight", float32Tensor([t.vocabSize, t.hiddenSize], head));

  const patchDim = v.inChannels * v.temporalPatchSize * v.patchSize * v.patchSize;
  add("visual.patch_embed.proj.weight", [v.hiddenSize, v.inChannels, v.temporalPatchSize, v.patchSize, v.patchSize], 1 / Math.sqrt(patchDim));
  for (let i = 0; i < v.depth; i++) {
    const p = `visual.blocks.${i}`;
    add(`${p}.norm1.weight`, [v.hiddenSize], 0.1, 1);
    linear(`${p}.attn.qkv`, 3 * v.hiddenSize, v.hiddenSize, true);
    linear(`${p}.attn.proj`, v.hiddenSize, v.hiddenSize, true);
    add(`${p}.norm2.weight`, [v.hiddenSize], 0.1, 1);
    linear(`${p}.mlp.gate_proj`, v.intermediateSize, v.hiddenSize, true);
    linear(`${p}.mlp.up_proj`, v.intermediateSize, v.hiddenSize, true);
    linear(`${p}.mlp.down_proj`, v.hiddenSize, v.intermediateSize, true);
  }
  const mergedDim = v.hiddenSize * v.spatialMergeSize ** 2;
  add("visual.merger.ln_q.weight", [v.hiddenSize], 0.1, 1);
  linear("visual.merger.mlp.0", mergedDim, mergedDim, true);
  linear("visual.merger.mlp.2", v.outHiddenSize, mergedDim, true);

  return {
    has: (name) => tensors.has(name),
    get: (name) => {
      const found = tensors.get(name);
      if (!found) throw new Error(`tiny model has no weight "${name}"`);
      return found;
    },
  };
}

function hfConfig(c: Qwen25VlConfig): Record<string, unknown> {
  return {
    architectures: ["Qwen2_5_VLForConditionalGeneration"],
    model_type: "qwen2_5_vl",
    hidden_size: c.text.hiddenSize,
    num_hidden_layers: c.text.numLayers,
    num_attention_heads: c.text.numHeads,
    num_key_value_heads: c.text.numKvHeads,
    head_dim: c.text.headDim,
    intermediate_size: c.text.intermediateSize,
    vocab_size: c.text.vocabSize,
    rms_norm_eps: c.text.rmsNormEps,
    rope_theta: c.text.ropeTheta,
    rope_scaling: { type: "mrope", rope_type: "default", mrope_section: c.text.mropeSection },
    max_position_embeddings: c.text.maxPositionEmbeddings,
    tie_word_embeddings: c.text.tieWordEmbeddings,
    hidden_act: "silu",
    torch_dtype: "float32",
    bos_token_id: tokenId("<|endoftext|>"),
    eos_token_id: tokenId("<|im_end|>"),
    image_token_id: c.imageTokenId,
    video_token_id: c.videoTokenId,
    vision_start_token_id: c.visionStartTokenId,
    vision_end_token_id: c.visionEndTokenId,
    vision_config: {
      model_type: "qwen2_5_vl",
      hidden_size: c.vision.hiddenSize,
      out_hidden_size: c.vision.outHiddenSize,
      depth: c.vision.depth,
      num_heads: c.vision.numHeads,
      intermediate_size: c.vision.intermediateSize,
      patch_size: c.vision.patchSize,
      temporal_patch_size: c.vision.temporalPatchSize,
      spatial_merge_size: c.vision.spatialMergeSize,
      in_chans: c.vision.inChannels,
      window_size: c.vision.windowSize,
      fullatt_block_indexes: c.vision.fullAttnBlockIndexes,
      hidden_act: "silu",
    },
  };
}
