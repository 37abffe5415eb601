/**
 * Every error the library throws on purpose is an {@link RgeError} with a stable `code`, so callers can
 * branch on `err.code` instead of parsing messages. Messages say what was expected, what was found, and
 * how to fix it.
 */

/** Stable machine-readable error codes. Never renamed once released. */
export type RgeErrorCode =
  | "RGE_BUNDLE_NOT_FOUND"
  | "RGE_BUNDLE_INCOMPLETE"
  | "RGE_BUNDLE_MISMATCH"
  | "RGE_ONNX_INVALID"
  | "RGE_IMAGE_UNDECODABLE"
  | "RGE_IMAGE_TOO_LARGE"
  | "RGE_IMAGE_UNSUPPORTED_SOURCE"
  | "RGE_IMAGE_UNSUPPORTED_SHAPE"
  | "RGE_EMPTY_INPUT"
  | "RGE_INPUT_TOO_LONG"
  | "RGE_UNKNOWN_DEVICE"
  | "RGE_DEVICE_UNAVAILABLE"
  | "RGE_UNKNOWN_DTYPE"
  | "RGE_NETWORK_DISABLED"
  | "RGE_HUB_AUTH"
  | "RGE_HUB_NOT_FOUND"
  | "RGE_DOWNLOAD_FAILED"
  | "RGE_DOWNLOAD_CORRUPT"
  | "RGE_ABORTED"
  | "RGE_DISPOSED"
  | "RGE_INVALID_OPTION"
  | "RGE_CHECKPOINT_INVALID"
  | "RGE_DECODER_UNSUPPORTED"
  | "RGE_NON_FINITE_OUTPUT"
  | "RGE_EVAL_DATA_INVALID"
  | "RGE_DIMENSION_MISMATCH"
  | "RGE_VECTOR_STORE_INVALID"
  | "RGE_REMOTE_AUTH"
  | "RGE_REMOTE_FAILED"
  | "RGE_WORKER_FAILED"
  | "RGE_INTERNAL";

/**
 * Each code's class name. `name` is set from here, not from the class, because minifiers rename classes: a
 * bundled page would otherwise log `e: …` instead of `EmptyInputError: …`.
 */
const ERROR_NAMES: Record<RgeErrorCode, string> = {
  RGE_BUNDLE_NOT_FOUND: "BundleNotFoundError",
  RGE_BUNDLE_INCOMPLETE: "BundleIncompleteError",
  RGE_BUNDLE_MISMATCH: "BundleMismatchError",
  RGE_ONNX_INVALID: "OnnxInvalidError",
  RGE_IMAGE_UNDECODABLE: "ImageDecodeError",
  RGE_IMAGE_TOO_LARGE: "ImageTooLargeError",
  RGE_IMAGE_UNSUPPORTED_SOURCE: "ImageSourceError",
  RGE_IMAGE_UNSUPPORTED_SHAPE: "ImageShapeError",
  RGE_EMPTY_INPUT: "EmptyInputError",
  RGE_INPUT_TOO_LONG: "InputTooLongError",
  RGE_UNKNOWN_DEVICE: "UnknownDeviceError",
  RGE_DEVICE_UNAVAILABLE: "DeviceUnavailableError",
  RGE_UNKNOWN_DTYPE: "UnknownDtypeError",
  RGE_NETWORK_DISABLED: "NetworkDisabledError",
  RGE_HUB_AUTH: "HubAuthError",
  RGE_HUB_NOT_FOUND: "HubNotFoundError",
  RGE_DOWNLOAD_FAILED: "DownloadError",
  RGE_DOWNLOAD_CORRUPT: "DownloadCorruptError",
  RGE_ABORTED: "AbortedError",
  RGE_DISPOSED: "DisposedError",
  RGE_INVALID_OPTION: "InvalidOptionError",
  RGE_CHECKPOINT_INVALID: "CheckpointInvalidError",
  RGE_DECODER_UNSUPPORTED: "DecoderUnsupportedError",
  RGE_NON_FINITE_OUTPUT: "NonFiniteOutputError",
  RGE_REMOTE_AUTH: "RemoteAuthError",
  RGE_REMOTE_FAILED: "RemoteError",
  RGE_WORKER_FAILED: "WorkerFailedError",
  RGE_EVAL_DATA_INVALID: "MmebDataError",
  RGE_DIMENSION_MISMATCH: "DimensionMismatchError",
  RGE_VECTOR_STORE_INVALID: "VectorStoreFileError",
  RGE_INTERNAL: "RgeError",
};

/** Base class of every error thrown by RGE packages. */
export class RgeError extends Error {
  readonly code: RgeErrorCode;

  constructor(code: RgeErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target === RgeError ? "RgeError" : ERROR_NAMES[code];
  }
}

/** The bundle directory (or one of its required files) does not exist. */
export class BundleNotFoundError extends RgeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("RGE_BUNDLE_NOT_FOUND", message, options);
  }
}

/** The bundle exists but lacks files the runtime needs. `missing` lists them relative to the bundle. */
export class BundleIncompleteError extends RgeError {
  readonly missing: string[];
  constructor(message: string, missing: string[]) {
    super("RGE_BUNDLE_INCOMPLETE", message);
    this.missing = missing;
  }
}

/** The bundle's configs and its ONNX graphs disagree (names, shapes, token ids). */
export class BundleMismatchError extends RgeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("RGE_BUNDLE_MISMATCH", message, options);
  }
}

/** An ONNX file could not be parsed or loaded by ONNX Runtime. */
export class OnnxInvalidError extends RgeError {
  readonly file: string;
  constructor(message: string, file: string, options?: { cause?: unknown }) {
    super("RGE_ONNX_INVALID", message, options);
    this.file = file;
  }
}

/** The image bytes could not be decoded. */
export class ImageDecodeError extends RgeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("RGE_IMAGE_UNDECODABLE", message, options);
  }
}

/**
 * The image is over a size limit: its source holds more bytes than `maxImageBytes` (file, `data:` URL, http body
 * or bytes passed in), or its header declares more pixels than `maxImagePixels` (a guard against decompression bombs).
 */
export class ImageTooLargeError extends RgeError {
  constructor(message: string) {
    super("RGE_IMAGE_TOO_LARGE", message);
  }
}

/**
 * The image source does not resolve to bytes: an unknown URL scheme, a wrong type, a missing or unreadable file, a
 * path that is not a regular file (directory, device, FIFO, socket), or a failed or erroring http fetch.
 */
export class ImageSourceError extends RgeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("RGE_IMAGE_UNSUPPORTED_SOURCE", message, options);
  }
}

/**
 * The image's dimensions are outside what the vision encoder accepts: a side shorter than one merged patch
 * (28 px for Qwen2.5-VL) or an aspect ratio above 200. `width` and `height` are the offending dimensions.
 */
export class ImageShapeError extends RgeError {
  readonly width: number;
  readonly height: number;
  constructor(message: string, width: number, height: number) {
    super("RGE_IMAGE_UNSUPPORTED_SHAPE", message);
    this.width = width;
    this.height = height;
  }
}

/** An input carries neither text nor an image. */
export class EmptyInputError extends RgeError {
  constructor(message: string) {
    super("RGE_EMPTY_INPUT", message);
  }
}

/** The prompt is longer than the model's context allows. */
export class InputTooLongError extends RgeError {
  readonly tokens: number;
  readonly limit: number;
  constructor(message: string, tokens: number, limit: number) {
    super("RGE_INPUT_TOO_LONG", message);
    this.tokens = tokens;
    this.limit = limit;
  }
}

/** The device name is not one the library knows. */
export class UnknownDeviceError extends RgeError {
  constructor(message: string) {
    super("RGE_UNKNOWN_DEVICE", message);
  }
}

/** The device is known but ONNX Runtime could not use it on this machine. */
export class DeviceUnavailableError extends RgeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("RGE_DEVICE_UNAVAILABLE", message, options);
  }
}

/** The dtype name is not one the library knows. */
export class UnknownDtypeError extends RgeError {
  constructor(message: string) {
    super("RGE_UNKNOWN_DTYPE", message);
  }
}

/** Code tried to reach the network while the caller did not allow it. */
export class NetworkDisabledError extends RgeError {
  constructor(message: string) {
    super("RGE_NETWORK_DISABLED", message);
  }
}

/**
 * The hub refused the request: 401 (no token, or a token it does not accept) or 403 (a gated repo whose terms the
 * token's account has not accepted, or a token without read access). `status` is the HTTP status, `url` the URL.
 */
export class HubAuthError extends RgeError {
  readonly status: number;
  readonly url: string;
  constructor(message: string, status: number, url: string) {
    super("RGE_HUB_AUTH", message);
    this.status = status;
    this.url = url;
  }
}

/** The hub has no such repo (or it is private and no token was sent), revision or file. `what` says which. */
export class HubNotFoundError extends RgeError {
  readonly what: "repo" | "revision" | "file";
  readonly url: string;
  constructor(message: string, what: "repo" | "revision" | "file", url: string) {
    super("RGE_HUB_NOT_FOUND", message);
    this.what = what;
    this.url = url;
  }
}

/**
 * A download failed after its retries: the connection dropped or stalled, the server kept answering 5xx or 429, or it
 * answered something a hub does not (no commit or hash headers). `url` names the request; `status` is set when the
 * server answered. What was downloaded so far is kept, so the next attempt resumes.
 */
export class DownloadError extends RgeError {
  readonly url: string;
  readonly status: number | undefined;
  constructor(message: string, url: string, status?: number, options?: { cause?: unknown }) {
    super("RGE_DOWNLOAD_FAILED", message, options);
    this.url = url;
    this.status = status;
  }
}

/** A downloaded file's size or hash differed from what the hub announced, twice in a row. Nothing was cached. */
export class DownloadCorruptError extends RgeError {
  readonly url: string;
  readonly expected: string;
  readonly actual: string;
  constructor(message: string, url: string, expected: string, actual: string) {
    super("RGE_DOWNLOAD_CORRUPT", message);
    this.url = url;
    this.expected = expected;
    this.actual = actual;
  }
}

/** The call was cancelled through its AbortSignal. */
export class AbortedError extends RgeError {
  constructor(message = "The operation was aborted.", options?: { cause?: unknown }) {
    super("RGE_ABORTED", message, options);
  }
}

/** The model was used after `dispose()`. */
export class DisposedError extends RgeError {
  constructor(message = "This RGE model has been disposed; load it again to keep using it.") {
    super("RGE_DISPOSED", message);
  }
}

/** An option has a value outside its allowed range or type. */
export class InvalidOptionError extends RgeError {
  constructor(message: string) {
    super("RGE_INVALID_OPTION", message);
  }
}

/** A Hugging Face checkpoint cannot be converted (missing shard, wrong architecture, truncated file). */
export class CheckpointInvalidError extends RgeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("RGE_CHECKPOINT_INVALID", message, options);
  }
}

/**
 * A decoder ONNX graph parses but lacks the structure an edit needs (no `logits` output, no lm_head MatMul
 * behind it). `found` lists what was seen instead: output names, or the ops walked through from `logits`.
 */
export class DecoderUnsupportedError extends RgeError {
  readonly file: string;
  readonly found: string[];
  constructor(message: string, file: string, found: string[]) {
    super("RGE_DECODER_UNSUPPORTED", message);
    this.file = file;
    this.found = found;
  }
}

/**
 * A graph produced NaN or infinite values where a result was read (weights with NaNs, or a numeric overflow):
 * the result would be silently wrong, so the item fails instead. `graph` names the graph.
 */
export class NonFiniteOutputError extends RgeError {
  readonly graph: string;
  constructor(message: string, graph: string) {
    super("RGE_NON_FINITE_OUTPUT", message);
    this.graph = graph;
  }
}

/** An RGE server (`rge-serve`) refused the API key: none was sent, or not the one it was started with. */
export class RemoteAuthError extends RgeError {
  readonly url: string;
  readonly status: number;
  constructor(message: string, url: string, status: number) {
    super("RGE_REMOTE_AUTH", message);
    this.url = url;
    this.status = status;
  }
}

/**
 * A request to an RGE server failed for a reason that is not one of the core's typed errors: the server could not
 * be reached (`status` undefined), was busy past the retries (429), timed out (504), failed (5xx), or refused the
 * request itself (`serverCode`, e.g. "invalid_request" or "model_not_found"). `retryable` says whether the same
 * request may succeed later.
 */
export class RemoteError extends RgeError {
  readonly url: string;
  readonly status: number | undefined;
  /** The `code` of the server's error body, when it sent one. */
  readonly serverCode: string | null;
  readonly retryable: boolean;
  constructor(message: string, url: string, status: number | undefined, serverCode: string | null, options?: { cause?: unknown }) {
    super("RGE_REMOTE_FAILED", message, options);
    this.url = url;
    this.status = status;
    this.serverCode = serverCode;
    this.retryable = status === undefined || status === 429 || status >= 500;
  }
}

/**
 * The Web Worker that runs a model (`RgeWorkerModel`) failed as a whole: it raised an `error` event (its script did
 * not load, or it threw outside a call), a message from it could not be read, or its port closed. The model in it
 * is gone, so every pending and later call on it rejects with this; terminate the worker, start a new one and load
 * the model again. Not `RGE_INTERNAL`: the usual causes lie outside RGE (the worker ran out of memory, the app
 * closed its port, a bundler served the wrong script), and the remedy, a new worker, is one an app can automate.
 *
 * @example
 * try {
 *   await model.embedQuery(input);
 * } catch (error) {
 *   if (!(error instanceof WorkerFailedError)) throw error;
 *   worker.terminate();
 *   worker = new Worker(new URL("./rge.worker.ts", import.meta.url), { type: "module" });
 *   model = await RgeWorkerModel.load(worker, bundleUrl);
 * }
 */
export class WorkerFailedError extends RgeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("RGE_WORKER_FAILED", message, options);
  }
}

/** Throws {@link AbortedError} when the signal is aborted. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortedError(undefined, { cause: signal.reason });
}
