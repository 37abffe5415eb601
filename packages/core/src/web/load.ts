import * as ort from "#ort";
import { CONFIG_FILES, graphPaths, OPTIONAL_FILES } from "../bundle/bundle-files.js";
import { parseDtype, type RgeDtype } from "../bundle/dtype.js";
import { MANIFEST_FILE } from "../bundle/manifest.js";
import { parseBundle, type Bundle } from "../bundle/parse-bundle.js";
import { BundleIncompleteError, BundleNotFoundError, DeviceUnavailableError, OnnxInvalidError, throwIfAborted, UnknownDeviceError } from "../errors.js";
import { ENGINE_OPTION_RULES } from "../engine/engine-options.js";
import { externalDataLocations } from "../graph/external-data-locations.js";
import { RgeModel, type EngineOptions } from "../engine/model.js";
import { DeviceKvOps } from "../engine/device-kv-cache.js";
import { cacheElementType, checkIo, type Sessions } from "../engine/session-set.js";
import { graphOutputNamesOf } from "../graph/graph-outputs.js";
import { abortSignal, boolean, checkOptions, func, integerIn, nonEmptyString } from "../options/option-rules.js";
import { bundleFiles, type BundleFiles, type WebBundleSource, type WebLoadProgress } from "./bundle-files.js";
import { WEB_IMAGE_LOADER } from "./image-loader.js";

/** Where the graphs run in a browser: `wasm` (CPU, everywhere), `webgpu`, or `auto` (WebGPU on a hardware adapter, else WASM). */
export type WebDevice = "wasm" | "webgpu" | "auto";

/** Options of `loadRgeModel` from `@rge/core/web`. */
export interface WebLoadRgeModelOptions extends EngineOptions {
  /** Default "wasm". `auto` takes WebGPU only on a hardware adapter (a software one is slower than WASM) and says why in `deviceReason`. */
  device?: WebDevice;
  /** Weight precision; picks the graph files by suffix. Default "fp32". */
  dtype?: RgeDtype;
  /** Images on other origins than the page may be fetched. Default false: the page's origin, `blob:` and `data:` URLs only. */
  allowNetwork?: boolean;
  /** WASM threads (`ort.env.wasm.numThreads`, shared by every model on the page; more than one needs a cross-origin isolated page). Default: ONNX Runtime's choice. */
  threads?: number;
  /**
   * Where onnxruntime-web's `.wasm` files are served (`ort.env.wasm.wasmPaths`), a URL prefix; a relative one is
   * resolved by the browser against the document (or, in a worker, the worker's script; `RgeWorkerModel` resolves
   * it against the page before sending it). Default: beside onnxruntime-web's JavaScript, which bundlers such as
   * Vite handle.
   */
  wasmPaths?: string;
  /**
   * Cache API cache for graphs fetched from a URL, so later visits load without downloading them (offline too). Each
   * load revalidates them with a HEAD request (ETag, Last-Modified or size), so a bundle replaced at its URL is
   * fetched again. Default "rge-bundles"; false turns it off.
   */
  cache?: string | false;
  /** Progress of reading the graphs, by file. */
  onProgress?: (progress: WebLoadProgress) => void;
  /** Cancels loading. */
  signal?: AbortSignal;
  /** Receives warnings such as a device fallback. Default `console.warn`. */
  onWarning?: (message: string) => void;
  /**
   * On WebGPU, keep the KV cache on the GPU between steps: only logits and hidden states come back, and rows join
   * and leave through small graphs on the device, as in Node. Default true; false copies it through the host.
   */
  kvCacheOnDevice?: boolean;
}

const WEB_LOAD_OPTION_RULES = {
  ...ENGINE_OPTION_RULES,
  device: nonEmptyString,
  dtype: nonEmptyString,
  threads: integerIn(1, 1024),
  wasmPaths: nonEmptyString,
  cache: (v: unknown, name: string) => (v === false ? undefined : nonEmptyString(v, name)),
  onProgress: func,
  signal: abortSignal,
  kvCacheOnDevice: boolean,
};
const DEVICES: readonly WebDevice[] = ["wasm", "webgpu", "auto"];

/**
 * Loads an RGE bundle in a browser (or a Web Worker) and returns the same `RgeModel` as in Node, running on
 * onnxruntime-web. Graphs are fetched once and kept in the Cache API; sessions are created one after another,
 * which the WebGPU provider needs.
 *
 * @example
 * import { loadRgeModel } from "@rge/core/web";
 * const model = await loadRgeModel("/models/rge-tiny/", { onProgress: (p) => console.log(p.file, p.loaded) });
 * const q = await model.embedQuery({ text: "a red car" }, { onToken: (t) => output.append(t.text) });
 */
export async function loadRgeModel(source: WebBundleSource, options: WebLoadRgeModelOptions = {}): Promise<RgeModel> {
  checkOptions(options, "loadRgeModel's options", WEB_LOAD_OPTION_RULES);
  const device = options.device ?? "wasm";
  if (!DEVICES.includes(device)) throw new UnknownDeviceError(`Unknown device ${JSON.stringify(device)}; expected one of ${DEVICES.join(", ")}.`);
  const dtype = parseDtype(options.dtype ?? "fp32");
  const files = bundleFiles(source, options.cache !== undefined ? { cache: options.cache } : {});
  const bundle = await readWebBundle(files, dtype, options.signal);
  if (options.threads !== undefined) ort.env.wasm.numThreads = options.threads;
  if (options.wasmPaths !== undefined) ort.env.wasm.wasmPaths = options.wasmPaths;
  const onWarning = options.onWarning ?? ((m: string) => console.warn(m));
  const graphs = await readGraphs(files, bundle, options.onProgress, options.signal);
  const sessions = await createWebSessions(bundle, graphs, device, options.kvCacheOnDevice !== false, onWarning);
  checkIo(bundle, sessions);
  const { text } = bundle.config;
  const deviceKv = sessions.kvOnDevice
    ? await DeviceKvOps.create("webgpu", text.numLayers, cacheElementType(sessions.decoder), text.numKvHeads, text.headDim)
    : undefined;
  return new RgeModel(bundle, sessions, { ...options, batchSize: options.batchSize ?? 8, allowNetwork: options.allowNetwork ?? false }, WEB_IMAGE_LOADER, deviceKv);
}

async function readWebBundle(files: BundleFiles, dtype: RgeDtype, signal: AbortSignal | undefined): Promise<Bundle> {
  const names = [...CONFIG_FILES, ...OPTIONAL_FILES];
  const read = await Promise.all(names.map((name) => files.text(name, signal)));
  throwIfAborted(signal);
  const texts = new Map<string, string>();
  names.forEach((name, i) => read[i] !== undefined && texts.set(name, read[i]!));
  if (!texts.has(MANIFEST_FILE)) {
    throw new BundleNotFoundError(`No RGE bundle at ${files.where}: it has no ${MANIFEST_FILE}. Pass the URL of a folder made by \`rge convert\`.`);
  }
  const missing = CONFIG_FILES.filter((f) => !texts.has(f));
  if (missing.length > 0) {
    throw new BundleIncompleteError(`RGE bundle at ${files.where} is missing ${missing.join(", ")}. The bundle is partial; copy all of it.`, missing);
  }
  return parseBundle(files.where, dtype, texts, (name) => `${files.where}${files.where.endsWith("/") ? "" : "/"}${name}`);
}

/** A graph's bytes and those of the external-data files its weights point into, if any. */
interface GraphBytes {
  model: Uint8Array;
  externalData?: { path: string; data: Uint8Array }[];
}

async function readGraphs(
  files: BundleFiles,
  bundle: Bundle,
  onProgress: ((p: WebLoadProgress) => void) | undefined,
  signal: AbortSignal | undefined,
): Promise<Record<keyof Bundle["graphs"], GraphBytes>> {
  const paths = graphPaths(bundle.dtype);
  const out: Partial<Record<keyof Bundle["graphs"], GraphBytes>> = {};
  const missing: string[] = [];
  for (const key of ["visionEncoder", "embedTokens", "decoder"] as const) {
    const model = await files.bytes(paths[key], onProgress, signal);
    throwIfAborted(signal);
    if (!model) {
      missing.push(paths[key]);
      continue;
    }
    const folder = paths[key].slice(0, paths[key].lastIndexOf("/") + 1);
    const externalData: { path: string; data: Uint8Array }[] = [];
    for (const location of externalDataLocations(model)) {
      const data = await files.bytes(`${folder}${location}`, onProgress, signal);
      if (!data) missing.push(`${folder}${location}`);
      else externalData.push({ path: location, data });
    }
    out[key] = externalData.length > 0 ? { model, externalData } : { model };
  }
  if (missing.length > 0) {
    const hint = missing.every((m) => m.endsWith(".onnx"))
      ? `The bundle has no ${bundle.dtype} graphs; load another dtype or convert with \`--dtype ${bundle.dtype}\`.`
      : "The bundle is partial; copy all of it.";
    throw new BundleIncompleteError(`RGE bundle at ${files.where} is missing ${missing.join(", ")}. ${hint}`, missing);
  }
  return out as Record<keyof Bundle["graphs"], GraphBytes>;
}

type InferenceSessionOptions = ort.InferenceSession.SessionOptions;

/** Opens the three sessions on one provider, one after another; `auto` falls back from WebGPU to WASM. */
async function createWebSessions(
  bundle: Bundle,
  graphs: Record<keyof Bundle["graphs"], GraphBytes>,
  device: WebDevice,
  kvOnDevice: boolean,
  onWarning: (message: string) => void,
): Promise<Sessions> {
  let reason = `device "${device}" was requested`;
  if (device === "auto") {
    const adapter = await webGpuAdapter();
    if (adapter.ok) {
      try {
        return { ...(await openWebSessions(bundle, graphs, "webgpu", kvOnDevice)), reason: `device "auto" chose webgpu: ${adapter.detail}` };
      } catch (error) {
        if (error instanceof OnnxInvalidError) throw error;
        reason = `device "auto" chose wasm: webgpu failed (${(error as Error).message.split("\n")[0]})`;
        onWarning(`RGE: ${reason}.`);
      }
    } else reason = `device "auto" chose wasm: ${adapter.detail}`;
    return { ...(await openWebSessions(bundle, graphs, "wasm", false)), reason };
  }
  try {
    return { ...(await openWebSessions(bundle, graphs, device, device === "webgpu" && kvOnDevice)), reason };
  } catch (error) {
    if (error instanceof OnnxInvalidError || device === "wasm") throw error;
    throw new DeviceUnavailableError(
      `Could not run on device "webgpu": ${(error as Error).message.split("\n")[0]}. This browser may lack WebGPU (navigator.gpu) or a GPU adapter; use device "wasm" or "auto".`,
      { cause: error },
    );
  }
}

async function openWebSessions(
  bundle: Bundle,
  graphs: Record<keyof Bundle["graphs"], GraphBytes>,
  provider: "wasm" | "webgpu",
  kvOnDevice: boolean,
): Promise<Sessions> {
  const open = async (key: keyof Bundle["graphs"], extra: InferenceSessionOptions = {}) => {
    const { model, externalData } = graphs[key];
    try {
      return await ort.InferenceSession.create(model, {
        executionProviders: [provider],
        graphOptimizationLevel: "all",
        // WebGPU warns on every session that shape ops run on the CPU, which is by design; errors still show.
        ...(provider === "webgpu" ? { logSeverityLevel: 3 as const } : {}),
        ...(externalData ? { externalData } : {}),
        ...extra,
      });
    } catch (cause) {
      const message = ((cause as Error).message ?? String(cause)).split("\n")[0]!;
      if (/protobuf|parse|ModelProto|INVALID_GRAPH|INVALID_PROTOBUF/i.test(message)) {
        throw new OnnxInvalidError(`ONNX Runtime could not load ${bundle.graphs[key]}: ${message}`, bundle.graphs[key], { cause });
      }
      if (provider === "webgpu") throw cause; // createWebSessions falls back or explains
      // WASM fails to start when its .wasm files are not where onnxruntime-web looks, or off the main thread
      // without a worker-capable build: not the bundle's fault.
      throw new DeviceUnavailableError(
        `onnxruntime-web could not run ${bundle.graphs[key]} on WASM: ${message}. Check that its .wasm files are served where ` +
          `it looks for them (beside its JavaScript, or \`wasmPaths\`), with Content-Type application/wasm.`,
        { cause },
      );
    }
  };
  // One at a time: the WebGPU provider does not support creating sessions concurrently.
  const visionEncoder = await open("visionEncoder");
  const embedTokens = await open("embedTokens");
  // The cache outputs stay on the GPU, to be fed back without a round trip through the host.
  const cacheOutputs = kvOnDevice ? graphOutputNamesOf(graphs.decoder.model).filter((n) => /^(present|new_key_values)\./.test(n)) : [];
  const decoder = await open(
    "decoder",
    cacheOutputs.length > 0 ? { preferredOutputLocation: Object.fromEntries(cacheOutputs.map((n) => [n, "gpu-buffer" as const])) } : {},
  );
  return { visionEncoder, embedTokens, decoder, provider, kvOnDevice: cacheOutputs.length > 0 };
}

/** Whether the page offers a WebGPU adapter worth using: present, and not a software fallback. */
async function webGpuAdapter(): Promise<{ ok: boolean; detail: string }> {
  const gpu = (globalThis.navigator as (Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }) | undefined)?.gpu;
  if (!gpu) return { ok: false, detail: "this browser has no WebGPU (navigator.gpu)" };
  const adapter = (await gpu.requestAdapter().catch(() => null)) as { info?: { vendor?: string; architecture?: string; isFallbackAdapter?: boolean }; isFallbackAdapter?: boolean } | null;
  if (!adapter) return { ok: false, detail: "no WebGPU adapter is offered" };
  const fallback = adapter.info?.isFallbackAdapter ?? adapter.isFallbackAdapter ?? false;
  const name = [adapter.info?.vendor, adapter.info?.architecture].filter(Boolean).join(" ") || "an adapter";
  if (fallback) return { ok: false, detail: `the WebGPU adapter (${name}) is a software fallback, slower than WASM` };
  return { ok: true, detail: `a WebGPU adapter (${name}) is offered` };
}
