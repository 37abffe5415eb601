import { parseDtype } from "../bundle/dtype.js";
import { pullModel } from "../hub/pull.js";
import type { PullProgress } from "../hub/snapshot.js";
import { isHubId, readBundle } from "../bundle/load-bundle.js";
import { hasOutdatedGraphs } from "../bundle/manifest.js";
import type { RgeDtype } from "../bundle/dtype.js";
import { NODE_IMAGE_LOADER } from "../preprocess/image/image-source.js";
import { parseDevice, type RgeDevice } from "../device/device.js";
import { DeviceKvOps } from "./device-kv-cache.js";
import { RgeModel, type EngineOptions } from "./model.js";
import { cacheElementType } from "./session-set.js";
import { checkOptions, definedFields } from "../options/option-rules.js";
import { LOAD_OPTION_RULES } from "./options.js";
import { createSessions } from "./sessions.js";

export * from "./model.js";

/** Options of {@link loadRgeModel}. */
export interface LoadRgeModelOptions extends EngineOptions {
  /**
   * Where to run: "cpu" (default), "cuda", "webgpu", or "auto": CUDA, then WebGPU, then the CPU, taking a GPU
   * provider only once a probe run in a child process proved it runs the graphs, and WebGPU only with a GPU behind
   * it (a software adapter is slower than the CPU). The choice and its reason are `model.device` and
   * `model.deviceReason`, and a fallback is reported through `onWarning`.
   */
  device?: RgeDevice;
  /** Weight precision; picks the graph files by suffix. Default "fp32". */
  dtype?: RgeDtype;
  /**
   * Allow downloading a hub repo and fetching http(s) images. Default false: nothing touches the network, and a hub
   * id loads only if it is already in the cache (after `rge pull` or an earlier load).
   */
  allowNetwork?: boolean;
  /** Hub branch, tag or commit. Default "main". */
  revision?: string;
  /** Where converted bundles are cached. Default `$RGE_CACHE_DIR` or `~/.cache/rge`. */
  cacheDir?: string;
  /** The Hugging Face hub cache for checkpoint files. Default `$HF_HUB_CACHE`, `$HF_HOME/hub` or `~/.cache/huggingface/hub`. */
  hubCacheDir?: string;
  /** Hub base URL. Default `$HF_ENDPOINT` or https://huggingface.co. */
  endpoint?: string;
  /** Hub access token for private or gated repos. Default `$HF_TOKEN` or the token file of `huggingface-cli login`. */
  token?: string;
  /** Ask the hub whether the revision moved although a bundle for it is cached. Default false (no request). */
  checkForUpdates?: boolean;
  /** Progress of a download and conversion from the hub (see `PullProgress`). */
  onProgress?: (progress: PullProgress) => void;
  /** Cancels a download from the hub. */
  signal?: AbortSignal;
  /** ONNX Runtime intra-op threads. Default: ONNX Runtime's choice. */
  threads?: number;
  /**
   * On WebGPU, keep the KV cache on the GPU between steps: only logits and hidden states come back to the host,
   * and rows join and leave through small graphs on the device. Default true; false copies the cache to the
   * host and back every step (what earlier versions did).
   */
  kvCacheOnDevice?: boolean;
  /** Receives warnings such as a device fallback. Default `console.warn`. */
  onWarning?: (message: string) => void;
}

/**
 * Loads an RGE bundle and returns a model that embeds queries (reasoning first) and documents.
 *
 * @example
 * const model = await loadRgeModel("./rge-bundle");
 * const [q] = await model.embedQueries([{ text: "What is in the image?", image: "cat.jpg" }]);
 * console.log(q.rationale, q.stoppedBy);
 * const docs = await model.embedTargets([{ text: "A cat and a dog." }, { image: "dog.png" }]);
 * await model.dispose();
 */
export async function loadRgeModel(pathOrHubId: string, options: LoadRgeModelOptions = {}): Promise<RgeModel> {
  checkOptions(options, "loadRgeModel's options", LOAD_OPTION_RULES);
  const device = parseDevice(options.device ?? "cpu");
  const dtype = parseDtype(options.dtype ?? "fp32");
  const batchSize = options.batchSize ?? 8;
  let dir = pathOrHubId;
  if (isHubId(pathOrHubId)) {
    const pulled = await pullModel(pathOrHubId, {
      dtype,
      allowNetwork: options.allowNetwork ?? false,
      ...definedFields({
        revision: options.revision,
        cacheDir: options.cacheDir,
        hubCacheDir: options.hubCacheDir,
        endpoint: options.endpoint,
        token: options.token,
        checkForUpdates: options.checkForUpdates,
        onProgress: options.onProgress,
        onWarning: options.onWarning,
        signal: options.signal,
      }),
    });
    dir = pulled.dir;
  }
  const bundle = readBundle(dir, dtype);
  // A pulled bundle was converted again already, or pullModel said why not.
  if (!isHubId(pathOrHubId) && hasOutdatedGraphs(bundle.manifest, bundle.dtype)) {
    (options.onWarning ?? console.warn)(
      `RGE: ${dir} holds ${bundle.dtype} graphs from an older rge convert; converting the checkpoint again gives faster ones ` +
        `(rge convert <checkpoint> <out> --dtype ${bundle.dtype}).`,
    );
  }
  const sessions = await createSessions(bundle, {
    device,
    ...(options.threads ? { threads: options.threads } : {}),
    onWarning: options.onWarning ?? ((m) => console.warn(m)),
    ...(options.kvCacheOnDevice !== undefined ? { kvCacheOnDevice: options.kvCacheOnDevice } : {}),
  });
  const { text } = bundle.config;
  const deviceKv = sessions.kvOnDevice
    ? await DeviceKvOps.create("webgpu", text.numLayers, cacheElementType(sessions.decoder), text.numKvHeads, text.headDim)
    : undefined;
  return new RgeModel(bundle, sessions, { ...options, batchSize, allowNetwork: options.allowNetwork ?? false }, NODE_IMAGE_LOADER, deviceKv);
}

