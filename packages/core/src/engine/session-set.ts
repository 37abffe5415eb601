import type * as ort from "#ort";
import type { Bundle } from "../bundle/parse-bundle.js";
import { BundleMismatchError } from "../errors.js";
import { DECODER_IO } from "../graph/qwen2-5-vl/io-names.js";
import { EMBED_TOKENS_IO } from "../graph/qwen2-5-vl/io-names.js";
import { VISION_IO } from "../graph/qwen2-5-vl/io-names.js";

/** The three ONNX Runtime sessions of a bundle, on one provider, in any runtime. */
export interface Sessions {
  visionEncoder: ort.InferenceSession;
  embedTokens: ort.InferenceSession;
  decoder: ort.InferenceSession;
  /** The execution provider the sessions run on. */
  provider: Provider;
  /** Why this provider: what was asked for, and for `auto` what each provider it passed over lacked. */
  reason?: string;
  /** The decoder's KV outputs stay on the device (GPU buffers). */
  kvOnDevice?: boolean;
}

/** `wasm` is onnxruntime-web's CPU provider (browsers); the others run in Node, and `webgpu` in both. */
export type Provider = "cpu" | "cuda" | "webgpu" | "wasm";

/** Element type of the decoder's KV cache (float16 in fp16 bundles). */
export function cacheElementType(decoder: ort.InferenceSession): "float32" | "float16" {
  const meta = decoder.inputMetadata.find((m) => m.name === DECODER_IO.pastKey(0));
  return meta?.isTensor && meta.type === "float16" ? "float16" : "float32";
}

/** Checks the sessions' inputs and outputs against the bundle's configs. */
export function checkIo(bundle: Bundle, s: Sessions): void {
  const { text } = bundle.config;
  const problems: string[] = [];
  const need = (session: ort.InferenceSession, graph: string, kind: "input" | "output", name: string) => {
    const names = kind === "input" ? session.inputNames : session.outputNames;
    if (!names.includes(name)) problems.push(`${graph} has no ${kind} "${name}"`);
  };
  need(s.embedTokens, "embed_tokens", "input", EMBED_TOKENS_IO.inputIds);
  need(s.embedTokens, "embed_tokens", "output", EMBED_TOKENS_IO.inputsEmbeds);
  need(s.visionEncoder, "vision_encoder", "input", VISION_IO.pixelValues);
  need(s.visionEncoder, "vision_encoder", "output", VISION_IO.imageFeatures);
  for (const name of [DECODER_IO.inputsEmbeds, DECODER_IO.attentionMask, DECODER_IO.positionIds, DECODER_IO.numLogitsToKeep]) {
    need(s.decoder, "decoder_model_merged", "input", name);
  }
  need(s.decoder, "decoder_model_merged", "output", DECODER_IO.logits);
  need(s.decoder, "decoder_model_merged", "output", DECODER_IO.lastHiddenState);
  const layers = s.decoder.inputNames.filter((n) => /^past_key_values\.\d+\.key$/.test(n)).length;
  if (layers !== text.numLayers) {
    problems.push(`decoder_model_merged has ${layers} KV-cache layers, config.json says num_hidden_layers = ${text.numLayers}`);
  }
  const meta = s.decoder.inputMetadata.find((m) => m.name === DECODER_IO.pastKey(0));
  if (meta && meta.isTensor) {
    const [, heads, , dim] = meta.shape;
    if (typeof heads === "number" && heads !== text.numKvHeads) {
      problems.push(`decoder KV cache has ${heads} heads, config.json says num_key_value_heads = ${text.numKvHeads}`);
    }
    if (typeof dim === "number" && dim !== text.headDim) {
      problems.push(`decoder KV cache has head_dim ${dim}, config.json says ${text.headDim}`);
    }
  }
  const hiddenMeta = s.decoder.inputMetadata.find((m) => m.name === DECODER_IO.inputsEmbeds);
  const hidden = hiddenMeta && hiddenMeta.isTensor ? hiddenMeta.shape[2] : undefined;
  if (typeof hidden === "number" && hidden !== text.hiddenSize) {
    problems.push(`decoder takes inputs_embeds of width ${hidden}, config.json says hidden_size = ${text.hiddenSize}`);
  }
  const logitsMeta = s.decoder.outputMetadata.find((m) => m.name === DECODER_IO.logits);
  const vocab = logitsMeta && logitsMeta.isTensor ? logitsMeta.shape[2] : undefined;
  if (typeof vocab === "number" && vocab !== text.vocabSize) {
    problems.push(`decoder gives logits over ${vocab} tokens, config.json says vocab_size = ${text.vocabSize} (which decides how generation stops)`);
  }
  const pixelMeta = s.visionEncoder.inputMetadata.find((m) => m.name === VISION_IO.pixelValues);
  const patchWidth = pixelMeta && pixelMeta.isTensor ? pixelMeta.shape[1] : undefined;
  const processor = bundle.preprocessorConfig;
  const patch = typeof processor.patch_size === "number" ? processor.patch_size : bundle.config.vision.patchSize;
  const temporal = typeof processor.temporal_patch_size === "number" ? processor.temporal_patch_size : bundle.config.vision.temporalPatchSize;
  const expected = bundle.config.vision.inChannels * temporal * patch * patch;
  if (typeof patchWidth === "number" && patchWidth !== expected) {
    problems.push(
      `vision_encoder takes patches of ${patchWidth} values, preprocessor_config.json's patch_size ${patch} and temporal_patch_size ${temporal} make ${expected}`,
    );
  }
  if (problems.length > 0) {
    throw new BundleMismatchError(`The bundle's graphs do not match its configs: ${problems.join("; ")}.`);
  }
}
