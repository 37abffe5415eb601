import * as ort from "onnxruntime-node";
import { BundleMismatchError, DeviceUnavailableError, OnnxInvalidError } from "../errors.js";
import type { Bundle } from "../bundle/load-bundle.js";
import { DECODER_IO } from "../graph/qwen2-5-vl/decoder-graph.js";
import { EMBED_TOKENS_IO } from "../graph/qwen2-5-vl/embed-tokens-graph.js";
import { VISION_IO } from "../graph/qwen2-5-vl/vision-graph.js";
import type { RgeDtype } from "../bundle/dtype.js";
import { missingCudaPieces } from "../device/cuda-libraries.js";
import { candidateProviders, type RgeDevice } from "../device/device.js";
import { findGpuHardware } from "../device/gpu-hardware.js";
import { openSessions, type Sessions } from "./open-sessions.js";
import { probeProvider } from "./provider-canary.js";

export type { Sessions } from "./open-sessions.js";

export interface SessionOptions {
  device: RgeDevice;
  /** ONNX Runtime intra-op threads; default: ONNX Runtime's choice (one per physical core). */
  threads?: number;
  /** Told which provider `auto` chose when it is not the first candidate, and why. */
  onWarning?: (message: string) => void;
  /** On WebGPU, keep the KV cache on the device. Default true. */
  kvCacheOnDevice?: boolean;
}

/**
 * Creates the three sessions on the requested device and checks their inputs and outputs against the configs.
 *
 * `auto` tries CUDA, then WebGPU, then the CPU, and commits to a GPU provider only once it is proven here: CUDA's
 * libraries must be loadable, WebGPU must have a GPU behind it (a software adapter is slower than the CPU
 * provider), and either must pass {@link probeProvider}, a run in a child process, so a provider that would crash
 * the process is passed over instead. An explicit `cuda` or `webgpu` is used as asked, without a probe.
 */
export async function createSessions(bundle: Bundle, options: SessionOptions): Promise<Sessions> {
  const auto = options.device === "auto";
  const failures: string[] = [];
  for (const provider of candidateProviders(options.device)) {
    const unfit = provider === "cpu" ? undefined : await unfitness(provider, bundle.dtype, auto);
    if (unfit) {
      failures.push(`${provider}: ${unfit}`);
      continue;
    }
    try {
      const sessions = await openSessions(bundle, provider, options.threads, provider === "webgpu" && options.kvCacheOnDevice !== false);
      checkIo(bundle, sessions);
      sessions.reason = auto
        ? failures.length > 0
          ? `device "auto" chose ${provider}: ${failures.join("; ")}`
          : `device "auto" chose ${provider}: ${provider === "cpu" ? "the only provider left" : "it passed a probe run"}`
        : `device "${provider}" was requested`;
      if (failures.length > 0) options.onWarning?.(`RGE: ${sessions.reason}.`);
      return sessions;
    } catch (error) {
      if (error instanceof OnnxInvalidError || error instanceof BundleMismatchError) throw error;
      failures.push(`${provider}: ${(error as Error).message.split("\n")[0]}`);
    }
  }
  throw new DeviceUnavailableError(
    `Could not run on device "${options.device}": ${failures.join("; ")}. ` +
      (options.device === "cuda" ? "CUDA needs onnxruntime-node's CUDA provider libraries plus CUDA 13 and cuDNN 9 (see the README, GPU section); " : "") +
      (options.device === "webgpu" ? "WebGPU needs a GPU with a Vulkan driver on Linux (Mesa 23 or newer for its software driver lavapipe); " : "") +
      `use device "cpu" or "auto" to fall back.`,
  );
}

/** Why a GPU provider should not be tried, or undefined. `probe`: also prove it with a child-process run. */
async function unfitness(provider: "cuda" | "webgpu", dtype: RgeDtype, probe: boolean): Promise<string | undefined> {
  if (provider === "cuda") {
    const missing = missingCudaPieces();
    if (missing) return missing;
  } else if (probe) {
    const gpu = findGpuHardware();
    if (!gpu.found) return `skipped, ${gpu.detail}: a WebGPU adapter here would be a software renderer, slower than the CPU provider`;
  }
  if (!probe) return undefined;
  const result = await probeProvider(provider, dtype);
  return result.ok ? undefined : result.detail;
}

function checkIo(bundle: Bundle, s: Sessions): void {
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
