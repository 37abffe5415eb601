// The graphs' input and output names, apart from the code that writes the graphs, so the engine can name
// them without loading the graph writer.

/**
 * Names of the decoder's inputs and outputs: the transformers.js `decoder_model_merged` contract plus
 * RGE's `last_hidden_state` output and `num_logits_to_keep` input.
 */
export const DECODER_IO = {
  inputsEmbeds: "inputs_embeds",
  attentionMask: "attention_mask",
  positionIds: "position_ids",
  numLogitsToKeep: "num_logits_to_keep",
  logits: "logits",
  lastHiddenState: "last_hidden_state",
  pastKey: (i: number) => `past_key_values.${i}.key`,
  pastValue: (i: number) => `past_key_values.${i}.value`,
  presentKey: (i: number) => `present.${i}.key`,
  presentValue: (i: number) => `present.${i}.value`,
  newKey: (i: number) => `new_key_values.${i}.key`,
  newValue: (i: number) => `new_key_values.${i}.value`,
} as const;

export const EMBED_TOKENS_IO = { inputIds: "input_ids", inputsEmbeds: "inputs_embeds" } as const;

export const VISION_IO = {
  pixelValues: "pixel_values",
  /** `[N, 2]` int64: (row, column) of each patch in the image's patch grid, in `pixel_values` order. */
  patchPositions: "patch_positions",
  /** `[N]` int64: the attention window of each patch (see `visionWindowIds`). */
  windowIds: "window_ids",
  imageFeatures: "image_features",
} as const;
