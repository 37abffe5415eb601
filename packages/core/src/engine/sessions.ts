import { BundleMismatchError, DeviceUnavailableError, OnnxInvalidError } from "../errors.js";
import type { Bundle } from "../bundle/load-bundle.js";
import type { RgeDtype } from "../bundle/dtype.js";
import { missingCudaPieces } from "../device/cuda-libraries.js";
import { candidateProviders, type RgeDevice } from "../device/device.js";
import { findGpuHardware } from "../device/gpu-hardware.js";
import { openSessions } from "./open-sessions.js";
import { checkIo, type Sessions } from "./session-set.js";
import { probeProvider } from "./provider-canary.js";

export type { Sessions } from "./session-set.js";

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
