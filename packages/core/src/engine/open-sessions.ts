import * as ort from "#ort";
import type { Bundle } from "../bundle/load-bundle.js";
import { OnnxInvalidError } from "../errors.js";
import { graphOutputNames } from "../graph/graph-output-names.js";
import type { Provider, Sessions } from "./session-set.js";

export type { Provider, Sessions } from "./session-set.js";

/**
 * Opens the bundle's three graphs on one provider. With `kvOnDevice` (WebGPU), the decoder's KV outputs stay on
 * the device as GPU buffers, to be fed back without a round trip through the host.
 */
export async function openSessions(bundle: Bundle, provider: Provider, threads?: number, kvOnDevice = false): Promise<Sessions> {
  const opts: ort.InferenceSession.SessionOptions = {
    executionProviders: [provider],
    graphOptimizationLevel: "all",
    // A GPU provider that cannot load is reported by our own error; keep ONNX Runtime's log quiet about it.
    ...(provider === "cpu" ? {} : { logSeverityLevel: 4 as const }),
    ...(threads ? { intraOpNumThreads: threads, interOpNumThreads: 1 } : {}),
  };
  const open = async (path: string, extra: ort.InferenceSession.SessionOptions = {}) => {
    try {
      return await ort.InferenceSession.create(path, { ...opts, ...extra });
    } catch (cause) {
      const message = (cause as Error).message ?? String(cause);
      if (provider !== "cpu" && !/protobuf|parse|ModelProto|INVALID_GRAPH|INVALID_PROTOBUF/i.test(message)) throw cause;
      throw new OnnxInvalidError(`ONNX Runtime could not load ${path}: ${message.split("\n")[0]}`, path, { cause });
    }
  };
  const visionEncoder = await open(bundle.graphs.visionEncoder);
  const embedTokens = await open(bundle.graphs.embedTokens);
  const cacheOutputs = kvOnDevice ? graphOutputNames(bundle.graphs.decoder).filter((n) => /^(present|new_key_values)\./.test(n)) : [];
  const decoder =
    cacheOutputs.length > 0
      ? await open(bundle.graphs.decoder, { preferredOutputLocation: Object.fromEntries(cacheOutputs.map((n) => [n, "gpu-buffer" as const])) })
      : await open(bundle.graphs.decoder);
  return { visionEncoder, embedTokens, decoder, provider, kvOnDevice: cacheOutputs.length > 0 };
}
