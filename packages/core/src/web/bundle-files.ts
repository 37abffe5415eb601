import { AbortedError, BundleNotFoundError, DownloadError, RgeError } from "../errors.js";
import { concatArrays } from "../util/concat-arrays.js";

/**
 * Where a bundle is, in a browser:
 * - a URL of its directory (absolute, or relative to the page), fetched with `fetch` and kept in the Cache API;
 * - a directory the user picked, as a `FileSystemDirectoryHandle` (`showDirectoryPicker()`, or OPFS's
 *   `navigator.storage.getDirectory()`);
 * - the files of a picked folder (`<input type="file" webkitdirectory>`), each named by its `webkitRelativePath`.
 */
export type WebBundleSource = string | URL | FileSystemDirectoryHandle | FileList | readonly File[];

/** Progress of fetching a bundle's graphs, by file; `total` is undefined when the server sends no length. */
export interface WebLoadProgress {
  file: string;
  loaded: number;
  total: number | undefined;
  /** The file came from the Cache API (or a local file), not the network. */
  cached: boolean;
}

/** Reads a bundle's files by their path inside it (`config.json`, `onnx/decoder_model_merged.onnx`). */
export interface BundleFiles {
  /** The bundle's location, for messages: its base URL or the folder's name. */
  readonly where: string;
  /** The file's text, or undefined when the bundle has no such file. */
  text(name: string, signal?: AbortSignal): Promise<string | undefined>;
  /** The file's bytes, or undefined when the bundle has no such file. */
  bytes(name: string, onProgress?: (p: WebLoadProgress) => void, signal?: AbortSignal): Promise<Uint8Array | undefined>;
}

/** Options of reading a bundle from a URL. */
export interface UrlBundleOptions {
  /**
   * Keep fetched graphs in the Cache API under this cache name, so the next visit loads them without downloading
   * (offline too); each load asks the server with a HEAD request whether a graph changed. Default "rge-bundles";
   * false turns it off.
   */
  cache?: string | false;
}

export function bundleFiles(source: WebBundleSource, options: UrlBundleOptions = {}): BundleFiles {
  if (typeof source === "string" || source instanceof URL) return new UrlBundleFiles(source, options.cache ?? "rge-bundles");
  if (typeof FileSystemDirectoryHandle !== "undefined" && source instanceof FileSystemDirectoryHandle) return new DirectoryHandleFiles(source);
  if (typeof source === "object" && source !== null && typeof (source as ArrayLike<File>).length === "number") {
    return new PickedFiles(Array.from(source as ArrayLike<File>));
  }
  throw new BundleNotFoundError(
    `Expected a bundle URL, a FileSystemDirectoryHandle or the Files of a picked folder, got ${source === null ? "null" : typeof source}.`,
  );
}

class UrlBundleFiles implements BundleFiles {
  readonly where: string;
  private readonly base: URL;

  constructor(
    source: string | URL,
    private readonly cacheName: string | false,
  ) {
    const base = new URL(source, globalThis.location?.href);
    if (!base.pathname.endsWith("/")) base.pathname += "/";
    this.base = base;
    this.where = base.href;
  }

  async text(name: string, signal?: AbortSignal): Promise<string | undefined> {
    const response = await this.fetch(name, signal);
    return response && (await response.text());
  }

  async bytes(name: string, onProgress?: (p: WebLoadProgress) => void, signal?: AbortSignal): Promise<Uint8Array | undefined> {
    const url = new URL(name, this.base).href;
    const cache = this.cacheName !== false && typeof caches !== "undefined" ? await caches.open(this.cacheName).catch(() => undefined) : undefined;
    const hit = await cache?.match(url);
    if (hit && !(await changedSince(url, hit, signal))) return readWithProgress(hit, name, true, onProgress);
    if (hit) await cache!.delete(url);
    const response = await this.fetch(name, signal);
    if (!response) return undefined;
    if (!cache || !response.body) return readWithProgress(response, name, false, onProgress);
    // One branch streams into the cache while the other is read here, so a multi-GB graph is not held twice.
    const [mine, cached] = response.body.tee();
    const stored = cache.put(url, new Response(cached, { headers: response.headers })).catch(() => {});
    const bytes = await readWithProgress(new Response(mine, { headers: response.headers }), name, false, onProgress);
    await stored;
    return bytes;
  }

  private async fetch(name: string, signal?: AbortSignal): Promise<Response | undefined> {
    const url = new URL(name, this.base).href;
    let response: Response;
    try {
      response = await fetch(url, signal ? { signal } : {});
    } catch (cause) {
      if (signal?.aborted) throw new AbortedError(undefined, { cause });
      throw new DownloadError(`Could not fetch ${url}: ${(cause as Error).message}`, url, undefined, { cause });
    }
    if (response.status === 404) {
      void response.body?.cancel();
      return undefined;
    }
    if (!response.ok) {
      void response.body?.cancel();
      throw new DownloadError(`Fetching ${url} failed with HTTP ${response.status} ${response.statusText}.`, url, response.status);
    }
    return response;
  }
}

/**
 * Whether the file at `url` differs from its cached copy, asked with a HEAD request: by ETag, else Last-Modified,
 * else size. A bundle replaced at the same URL is fetched again; offline (the request fails), the copy is used.
 */
async function changedSince(url: string, cached: Response, signal: AbortSignal | undefined): Promise<boolean> {
  let head: Response;
  try {
    head = await fetch(url, { method: "HEAD", ...(signal ? { signal } : {}) });
  } catch {
    return false;
  }
  if (head.status === 404) return true;
  if (!head.ok) return false;
  for (const header of ["etag", "last-modified", "content-length"]) {
    const now = head.headers.get(header);
    const then = cached.headers.get(header);
    if (now !== null && then !== null) return now !== then;
  }
  return false;
}

class DirectoryHandleFiles implements BundleFiles {
  readonly where: string;

  constructor(private readonly root: FileSystemDirectoryHandle) {
    this.where = `the folder ${root.name}`;
  }

  async text(name: string): Promise<string | undefined> {
    return (await this.file(name))?.text();
  }

  async bytes(name: string, onProgress?: (p: WebLoadProgress) => void): Promise<Uint8Array | undefined> {
    const file = await this.file(name);
    return file && readWithProgress(new Response(file), name, true, onProgress, file.size);
  }

  private async file(name: string): Promise<File | undefined> {
    const parts = name.split("/");
    try {
      let dir = this.root;
      for (const part of parts.slice(0, -1)) dir = await dir.getDirectoryHandle(part);
      return await (await dir.getFileHandle(parts.at(-1)!)).getFile();
    } catch (cause) {
      if ((cause as DOMException).name === "NotFoundError" || (cause as DOMException).name === "TypeMismatchError") return undefined;
      throw new BundleNotFoundError(`Could not read ${name} in ${this.where}: ${(cause as Error).message}`, { cause });
    }
  }
}

class PickedFiles implements BundleFiles {
  readonly where: string;
  private readonly byPath = new Map<string, File>();

  constructor(files: readonly File[]) {
    // A picked folder names files "<folder>/<path>"; other files go by their name, which may hold the path
    // inside the bundle (`new File([bytes], "onnx/decoder_model_merged.onnx")`).
    for (const file of files) {
      const relative = file.webkitRelativePath;
      this.byPath.set(relative ? relative.slice(relative.indexOf("/") + 1) : file.name, file);
    }
    const first = files[0]?.webkitRelativePath;
    this.where = first?.includes("/") ? `the folder ${first.slice(0, first.indexOf("/"))}` : "the picked files";
  }

  async text(name: string): Promise<string | undefined> {
    return this.byPath.get(name)?.text();
  }

  async bytes(name: string, onProgress?: (p: WebLoadProgress) => void): Promise<Uint8Array | undefined> {
    const file = this.byPath.get(name);
    return file && readWithProgress(new Response(file), name, true, onProgress, file.size);
  }
}

/** Reads a body whole, reporting progress; one buffer of the declared length when known, else chunks joined. */
async function readWithProgress(
  response: Response,
  file: string,
  cached: boolean,
  onProgress: ((p: WebLoadProgress) => void) | undefined,
  size?: number,
): Promise<Uint8Array> {
  const declared = size ?? Number(response.headers.get("content-length") ?? Number.NaN);
  const total = Number.isFinite(declared) ? declared : undefined;
  const reader = response.body!.getReader();
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  onProgress?.({ file, loaded, total, cached });
  try {
    for (let next = await reader.read(); !next.done; next = await reader.read()) {
      chunks.push(next.value);
      loaded += next.value.byteLength;
      onProgress?.({ file, loaded, total, cached });
    }
  } catch (cause) {
    if (cause instanceof RgeError) throw cause;
    if ((cause as Error).name === "AbortError") throw new AbortedError(undefined, { cause });
    throw new DownloadError(`Reading ${file} failed after ${loaded} bytes: ${(cause as Error).message}`, file, undefined, { cause });
  }
  return concatArrays(chunks, (n) => new Uint8Array(n));
}
