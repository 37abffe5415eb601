import * as ort from "onnxruntime-node";
import type { Bundle } from "../bundle/load-bundle.js";
import { OnnxInvalidError } from "../errors.js";

export interface Sessions {
  visionEncoder: ort.InferenceSession;
  embedTokens: ort.InferenceSession;
  decoder: ort.InferenceSession;
  /** The execution provider the sessions run on. */
  provider: Provider;
  /** Why this provider: what was asked for, and for `auto` what each provider it passed over lacked. */
  reason?: string;
}

export type Provider = "cpu" | "cuda" | "webgpu";

/** Opens the bundle's three graphs on one provider. */
export async function openSessions(bundle: Bundle, provider: Provider, threads?: number): Promise<Sessions> {
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

