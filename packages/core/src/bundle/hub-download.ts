import { existsSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { AbortedError, BundleNotFoundError, throwIfAborted } from "../errors.js";
import { CONFIG_FILES, graphPaths, OPTIONAL_FILES } from "./bundle-files.js";
import type { RgeDtype } from "./dtype.js";

export interface HubDownloadOptions {
  dtype: RgeDtype;
  /** Git revision on the hub. Default "main". */
  revision?: string;
  /** Where bundles are cached. Default `$RGE_CACHE_DIR` or `~/.cache/rge`. */
  cacheDir?: string;
  /** Hub base URL. Default `$HF_ENDPOINT` or https://huggingface.co. */
  endpoint?: string;
  /** Fetch implementation (tests inject one). Default the global fetch. */
  fetch?: typeof fetch;
  signal?: AbortSignal;
  /** Called once per file with its path in the bundle and its size in bytes. */
  onFile?: (file: string, bytes: number) => void;
}

/** Downloads a bundle from a Hugging Face repo into the cache (files already there are kept) and returns its directory. */
export async function downloadBundle(repoId: string, options: HubDownloadOptions): Promise<string> {
  const revision = options.revision ?? "main";
  const cacheDir = options.cacheDir ?? process.env.RGE_CACHE_DIR ?? join(homedir(), ".cache", "rge");
  const endpoint = (options.endpoint ?? process.env.HF_ENDPOINT ?? "https://huggingface.co").replace(/\/$/, "");
  const doFetch = options.fetch ?? globalThis.fetch;
  const dir = join(cacheDir, ...repoId.split("/"), revision);
  const graphs = Object.values(graphPaths(options.dtype));
  const required = [...CONFIG_FILES, ...graphs];
  const optional = [...OPTIONAL_FILES, ...graphs.flatMap((g) => [`${g}_data`, `${g}_data_1`, `${g}_data_2`])];

  const get = async (file: string, mustExist: boolean): Promise<void> => {
    const target = join(dir, file);
    if (existsSync(target)) return;
    throwIfAborted(options.signal);
    const url = `${endpoint}/${repoId}/resolve/${encodeURIComponent(revision)}/${file}`;
    let response: Response;
    try {
      response = await doFetch(url, { signal: options.signal });
    } catch (cause) {
      if (options.signal?.aborted) throw new AbortedError(undefined, { cause });
      throw new BundleNotFoundError(`Could not download ${url}: ${(cause as Error).message}`, { cause });
    }
    if (response.status === 404 && !mustExist) return;
    if (!response.ok) {
      throw new BundleNotFoundError(`Could not download ${url}: HTTP ${response.status}. Is "${repoId}" an RGE bundle repo?`);
    }
    const bytes = new Uint8Array(await response.arrayBuffer());
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(`${target}.part`, bytes);
    renameSync(`${target}.part`, target);
    options.onFile?.(file, bytes.byteLength);
  };

  for (const file of required) await get(file, true);
  for (const file of optional) await get(file, false);
  return dir;
}
