import * as ort from "onnxruntime-node";
import { BundleMismatchError, DeviceUnavailableError, OnnxInvalidError } from "../errors.js";
import type { Bundle } from "../bundle/load-bundle.js";
import { DECODER_IO } from "../graph/qwen2-5-vl/decoder-graph.js";
import { EMBED_TOKENS_IO } from "../graph/qwen2-5-vl/embed-tokens-graph.js";
import { VISION_IO } from "../graph/qwen2-5-vl/vision-graph.js";
import { candidateProviders, type RgeDevice } from "./device.js";

export interface Sessions {
  visionEncoder: ort.InferenceSession;
  embedTokens: ort.InferenceSession;
  decoder: ort.InferenceSession;
  /** The execution provider the sessions run on. */
  provider: "cpu" | "cuda" | "webgpu";
}

export interface SessionOptions {
  device: RgeDevice;
  /** ONNX Runtime intra-op threads; default: ONNX Runtime's choice (one per physical core). */
  threads?: number;
  /** Told when `auto` falls back to a slower provider. */
  onWarning?: (message: string) => void;
}

/** Creates the three sessions on the requested device and checks their inputs and outputs against the configs. */
export async function createSessions(bundle: Bundle, options: SessionOptions): Promise<Sessions> {
  const providers = candidateProviders(options.device);
  const failures: string[] = [];
  for (const provider of providers) {
    try {
      const sessions = await createOn(bundle, provider, options.threads);
      if (failures.length > 0) options.onWarning?.(`RGE: device "auto" fell back to ${provider} (${failures.join("; ")}).`);
      checkIo(bundle, sessions);
      return sessions;
    } catch (error) {
      if (error instanceof OnnxInvalidError || error instanceof BundleMismatchError) throw error;
      failures.push(`${provider}: ${(error as Error).message.split("\n")[0]}`);
    }
  }
  throw new DeviceUnavailableError(
    `Could not run on device "${options.device}": ${failures.join("; ")}. ` +
      (options.device === "cuda"
        ? "CUDA needs onnxruntime-node's CUDA provider libraries plus CUDA 12 and cuDNN 9 (see the README, GPU section); "
        : "") +
      `use device "cpu" or "auto" to fall back.`,
  );
}

async function createOn(bundle: Bundle, provider: "cpu" | "cuda" | "webgpu", threads?: number): Promise<Sessions> {
  const opts: ort.InferenceSession.SessionOptions = {
    executionProviders: [provider],
    graphOptimizationLevel: "all",
    // A GPU provider that cannot load is reported by our own error; keep ONNX Runtime's log quiet about it.
    ...(provider === "cpu" ? {} : { logSeverityLevel: 4 as const }),
    ...(threads ? { intraOpNumThreads: threads, interOpNumThreads: 1 } : {}),
  };
  const open = async (path: string) => {
    try {
      return await ort.InferenceSession.create(path, opts);
    } catch (cause) {
      const message = (cause as Error).message ?? String(cause);
      if (provider !== "cpu" && !/protobuf|parse|ModelProto|INVALID_GRAPH|INVALID_PROTOBUF/i.test(message)) throw cause;
      throw new OnnxInvalidError(`ONNX Runtime could not load ${path}: ${message.split("\n")[0]}`, path, { cause });
    }
  };
  const visionEncoder = await open(bundle.graphs.visionEncoder);
  const embedTokens = await open(bundle.graphs.embedTokens);
  const decoder = await open(bundle.graphs.decoder);
  return { visionEncoder, embedTokens, decoder, provider };
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
  if (problems.length > 0) {
    throw new BundleMismatchError(`The bundle's graphs do not match its configs: ${problems.join("; ")}.`);
  }
}
