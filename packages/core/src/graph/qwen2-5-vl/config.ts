/** The text model's part of a Qwen2.5-VL `config.json`, what shapes the decoder graph, in camelCase. */
export interface TextModelConfig {
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  intermediateSize: number;
  vocabSize: number;
  rmsNormEps: number;
  ropeTheta: number;
  /** M-RoPE split of the rotary half-dimension over (temporal, height, width); sums to headDim / 2. */
  mropeSection: [number, number, number];
  tieWordEmbeddings: boolean;
  /** Largest position the model was trained for (context length guard). */
  maxPositionEmbeddings: number;
}

/** The vision encoder's part of a Qwen2.5-VL `config.json` (`vision_config`), in camelCase. */
export interface VisionModelConfig {
  /** Vision transformer width (Qwen2.5-VL-3B: 1280). */
  hiddenSize: number;
  /** Output width of the patch merger, equal to the text hidden size. */
  outHiddenSize: number;
  depth: number;
  numHeads: number;
  intermediateSize: number;
  patchSize: number;
  temporalPatchSize: number;
  spatialMergeSize: number;
  inChannels: number;
  windowSize: number;
  fullAttnBlockIndexes: number[];
}

/** A Qwen2.5-VL `config.json` as the graphs and the engine use it: the text model, the vision encoder and the vision token ids. */
export interface Qwen25VlConfig {
  text: TextModelConfig;
  vision: VisionModelConfig;
  imageTokenId: number;
  videoTokenId: number;
  visionStartTokenId: number;
  visionEndTokenId: number;
}

type Json = Record<string, unknown>;

function num(obj: Json, key: string, fallback?: number): number {
  const v = obj[key];
  if (typeof v === "number") return v;
  if (fallback !== undefined) return fallback;
  throw new Error(`config.json: missing numeric field "${key}"`);
}

/**
 * Reads a Hugging Face Qwen2.5-VL `config.json`. Accepts both layouts: text fields at the top level
 * (transformers <= 4.51) or under `text_config` (newer exports).
 */
export function parseQwen25VlConfig(json: Json): Qwen25VlConfig {
  const text = { ...json, ...((json.text_config as Json | undefined) ?? {}) };
  const vision = (json.vision_config as Json | undefined) ?? {};
  const hiddenSize = num(text, "hidden_size");
  const numHeads = num(text, "num_attention_heads");
  const headDim = num(text, "head_dim", hiddenSize / numHeads);
  const ropeScaling = (text.rope_scaling as Json | undefined) ?? {};
  const section = (ropeScaling.mrope_section as number[] | undefined) ?? [headDim / 8, (headDim * 3) / 16, (headDim * 3) / 16];
  if (section.length !== 3 || section.reduce((a, b) => a + b, 0) !== headDim / 2) {
    throw new Error(`config.json: rope_scaling.mrope_section ${JSON.stringify(section)} must have 3 parts summing to head_dim/2 = ${headDim / 2}`);
  }
  return {
    text: {
      hiddenSize,
      numLayers: num(text, "num_hidden_layers"),
      numHeads,
      numKvHeads: num(text, "num_key_value_heads", numHeads),
      headDim,
      intermediateSize: num(text, "intermediate_size"),
      vocabSize: num(text, "vocab_size"),
      rmsNormEps: num(text, "rms_norm_eps", 1e-6),
      ropeTheta: num(text, "rope_theta", 1_000_000),
      mropeSection: section as [number, number, number],
      tieWordEmbeddings: Boolean(json.tie_word_embeddings ?? text.tie_word_embeddings ?? false),
      maxPositionEmbeddings: num(text, "max_position_embeddings", 128_000),
    },
    vision: {
      hiddenSize: num(vision, "hidden_size", 1280),
      outHiddenSize: num(vision, "out_hidden_size", hiddenSize),
      depth: num(vision, "depth", 32),
      numHeads: num(vision, "num_heads", 16),
      intermediateSize: num(vision, "intermediate_size", 3420),
      patchSize: num(vision, "patch_size", 14),
      temporalPatchSize: num(vision, "temporal_patch_size", 2),
      spatialMergeSize: num(vision, "spatial_merge_size", 2),
      inChannels: num(vision, "in_chans", num(vision, "in_channels", 3)),
      windowSize: num(vision, "window_size", 112),
      fullAttnBlockIndexes: (vision.fullatt_block_indexes as number[] | undefined) ?? [],
    },
    imageTokenId: num(json, "image_token_id"),
    videoTokenId: num(json, "video_token_id", -1),
    visionStartTokenId: num(json, "vision_start_token_id"),
    visionEndTokenId: num(json, "vision_end_token_id", num(json, "vision_start_token_id") + 1),
  };
}
