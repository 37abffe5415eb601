import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { AbortedError, DownloadError, HubAuthError, HubNotFoundError, InvalidOptionError } from "../errors.js";
import { isCommitHash, type RepoId } from "./repo-ref.js";

/** How to reach the hub; every field has a default. */
export interface HubClientOptions {
  /** Hub base URL. Default `$HF_ENDPOINT` or https://huggingface.co. */
  endpoint?: string;
  /**
   * Access token, sent as a bearer token to the hub (never to the storage a file is redirected to). Default `$HF_TOKEN`,
   * else the token file `huggingface-cli login` writes (`$HF_TOKEN_PATH`, `$HF_HOME/token`). `false` sends none.
   */
  token?: string | false;
  /** Fetch implementation. Default the global fetch. */
  fetch?: typeof fetch;
  signal?: AbortSignal;
  /** Attempts after the first, for dropped connections, stalls, 429 and 5xx. Default 5. */
  retries?: number;
  /** First backoff delay; each retry doubles it (at most 30 s), plus jitter. Default 1000 ms. */
  retryDelayMs?: number;
  /** A response that sends no byte for this long is dropped and retried. Default 60 000 ms. */
  stallTimeoutMs?: number;
}

/** What a HEAD on `resolve/<revision>/<file>` says about a file. */
export interface FileMetadata {
  /** The commit the revision resolved to (X-Repo-Commit). */
  commit: string;
  /** The hub's hash of the contents: sha256 for LFS/Xet files, the git blob sha1 for others. */
  etag: string;
  size: number;
  /** The resolve URL, pinned to `commit`. */
  url: string;
}

const ETAG = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

/** Requests to a Hugging Face hub (or a mirror speaking its `resolve` URLs), with auth, retries and typed errors. */
export class HubClient {
  readonly endpoint: string;
  private readonly origin: string;
  private readonly token: string | undefined;
  private readonly doFetch: typeof fetch;
  readonly signal: AbortSignal | undefined;
  readonly retries: number;
  readonly stallTimeoutMs: number;
  private readonly retryDelayMs: number;

  constructor(options: HubClientOptions = {}) {
    const endpoint = (options.endpoint ?? process.env.HF_ENDPOINT ?? "https://huggingface.co").replace(/\/+$/, "");
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch {
      throw new InvalidOptionError(`endpoint ${JSON.stringify(endpoint)} is not a URL; expected e.g. "https://huggingface.co".`);
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") {
      throw new InvalidOptionError(`endpoint ${JSON.stringify(endpoint)} must be an http(s) URL.`);
    }
    this.endpoint = endpoint;
    this.origin = url.origin;
    this.token = options.token === false ? undefined : (options.token ?? defaultToken());
    this.doFetch = options.fetch ?? globalThis.fetch;
    this.signal = options.signal;
    this.retries = options.retries ?? 5;
    this.retryDelayMs = options.retryDelayMs ?? 1000;
    this.stallTimeoutMs = options.stallTimeoutMs ?? 60_000;
  }

  resolveUrl(repo: RepoId, revision: string, file: string): string {
    const path = file.split("/").map(encodeURIComponent).join("/");
    return `${this.endpoint}/${repo.org}/${repo.name}/resolve/${encodeURIComponent(revision)}/${path}`;
  }

  /**
   * HEAD of a file without following the redirect to storage, as huggingface_hub does: the hub's own response carries
   * the commit, the hash (X-Linked-Etag for LFS, ETag otherwise) and the size. Resolves `undefined` when the commit has
   * no such file; throws typed errors for a missing repo or revision, auth failures and exhausted retries.
   */
  async metadata(repo: RepoId, revision: string, file: string): Promise<FileMetadata | undefined> {
    let url = this.resolveUrl(repo, revision, file);
    for (let hop = 0; hop < 10; hop++) {
      const response = await this.request(url, { method: "HEAD", headers: { "Accept-Encoding": "identity" } });
      if (response.status === 404 && errorCode(response) !== "RepoNotFound" && errorCode(response) !== "RevisionNotFound") {
        return undefined;
      }
      const location = response.headers.get("location");
      const linked = response.headers.get("x-linked-etag");
      if (response.status >= 300 && response.status < 400 && location && !linked) {
        const next = new URL(location, url);
        if (next.origin === this.origin) {
          url = next.href; // a renamed repo: the hub redirects to the new name
          continue;
        }
      }
      if (response.status >= 400) throw this.statusError(response, url, repo, revision);
      const commit = response.headers.get("x-repo-commit") ?? "";
      const etag = unquote(linked ?? response.headers.get("etag") ?? "");
      const size = Number(response.headers.get("x-linked-size") ?? response.headers.get("content-length"));
      if (!isCommitHash(commit) || !ETAG.test(etag) || !Number.isSafeInteger(size) || size < 0) {
        throw new DownloadError(
          `${url} answered without the hub's X-Repo-Commit, hash ETag and size headers (got commit ${JSON.stringify(commit)}, ` +
            `etag ${JSON.stringify(etag)}, size ${JSON.stringify(String(size))}). Is ${this.endpoint} a Hugging Face hub or a mirror of one?`,
          url,
          response.status,
        );
      }
      return { commit, etag, size, url: this.resolveUrl(repo, commit, file) };
    }
    throw new DownloadError(`${url}: too many redirects.`, url);
  }

  /**
   * GET of `url` from byte `start`, following redirects by hand so that the token goes to the hub's origin only.
   * Returns a 200 or 206 response, or 416 (the range starts at or past the end); other statuses throw typed errors.
   */
  async download(url: string, start: number, signal: AbortSignal, repo: RepoId): Promise<Response> {
    let current = url;
    for (let hop = 0; hop < 10; hop++) {
      const headers: Record<string, string> = { "Accept-Encoding": "identity" };
      if (start > 0) headers.Range = `bytes=${start}-`;
      const response = await this.request(current, { method: "GET", headers }, signal);
      const location = response.headers.get("location");
      if (response.status >= 300 && response.status < 400 && location) {
        await response.body?.cancel();
        current = new URL(location, current).href;
        continue;
      }
      if (response.ok || response.status === 416) return response;
      if (new URL(current).origin !== this.origin) {
        // Storage refusing a signed URL (expired, or a CDN hiccup): the next attempt gets a fresh one from the hub.
        await response.body?.cancel();
        throw new DownloadError(`${current} answered HTTP ${response.status}.`, current, response.status);
      }
      throw this.statusError(response, current, repo);
    }
    throw new DownloadError(`${url}: too many redirects.`, url);
  }

  /** Waits before retry `attempt` (0-based): exponential with jitter, or the server's Retry-After. */
  async backoff(attempt: number, retryAfter?: string | null): Promise<void> {
    const asked = retryAfter ? Number(retryAfter) * 1000 : NaN;
    const delay = Number.isFinite(asked) ? Math.min(asked, 60_000) : Math.min(this.retryDelayMs * 2 ** attempt, 30_000) * (0.75 + Math.random() / 2);
    try {
      await sleep(delay, undefined, { signal: this.signal });
    } catch (cause) {
      throw new AbortedError(undefined, { cause });
    }
  }

  /** One request with retries on network failures, 429 and 5xx. Auth goes to the hub's origin only. */
  private async request(url: string, init: { method: string; headers: Record<string, string> }, signal = this.signal): Promise<Response> {
    const headers: Record<string, string> = { ...init.headers, "User-Agent": "rge-js" };
    if (this.token && new URL(url).origin === this.origin) headers.Authorization = `Bearer ${this.token}`;
    for (let attempt = 0; ; attempt++) {
      if (signal?.aborted) throw new AbortedError(undefined, { cause: signal.reason });
      let response: Response;
      try {
        response = await this.doFetch(url, { ...init, redirect: "manual", headers, ...(signal ? { signal } : {}) });
      } catch (cause) {
        if (signal?.aborted) throw new AbortedError(undefined, { cause: signal.reason });
        if (attempt >= this.retries) {
          throw new DownloadError(`Could not reach ${url} after ${attempt + 1} attempts: ${describe(cause)}. Check the network or the endpoint.`, url, undefined, { cause });
        }
        await this.backoff(attempt);
        continue;
      }
      if ((response.status === 429 || response.status >= 500) && attempt < this.retries) {
        await response.body?.cancel();
        await this.backoff(attempt, response.headers.get("retry-after"));
        continue;
      }
      if (response.status === 429 || response.status >= 500) {
        throw new DownloadError(`${url} answered HTTP ${response.status} ${attempt + 1} times; the hub may be down, try again later.`, url, response.status);
      }
      return response;
    }
  }

  private statusError(response: Response, url: string, repo: RepoId, revision?: string): Error {
    void response.body?.cancel();
    const code = errorCode(response);
    const status = response.status;
    const page = `${this.endpoint}/${repo.id}`;
    if (code === "RepoNotFound") {
      return new HubNotFoundError(
        `The hub has no repo "${repo.id}" (${url}: HTTP ${status}), or it is private and ` +
          (this.token ? "the token cannot read it." : "no token was sent: set HF_TOKEN or pass `token`."),
        "repo",
        url,
      );
    }
    if (code === "RevisionNotFound") {
      return new HubNotFoundError(`"${repo.id}" has no revision ${JSON.stringify(revision ?? "")} (${url}: HTTP ${status}).`, "revision", url);
    }
    if (status === 401 && code !== "GatedRepo") {
      return new HubAuthError(
        this.token
          ? `${url}: HTTP 401, the hub refused the token. Check HF_TOKEN (or the \`token\` option): it may be expired or mistyped.`
          : `${url}: HTTP 401, "${repo.id}" needs a token. Set HF_TOKEN (or pass \`token\`) to a token with read access.`,
        status,
        url,
      );
    }
    if (status === 403 || code === "GatedRepo") {
      return new HubAuthError(
        `${url}: HTTP 403. "${repo.id}" is gated or the token lacks read access: accept its terms at ${page} with the ` +
          `account the token belongs to${this.token ? "" : ", then set HF_TOKEN"}.`,
        status,
        url,
      );
    }
    if (status === 404) return new HubNotFoundError(`${url}: HTTP 404, no such file in "${repo.id}".`, "file", url);
    return new DownloadError(`${url} answered HTTP ${status}.`, url, status);
  }
}

/** The hub's X-Error-Code header (RepoNotFound, RevisionNotFound, EntryNotFound, GatedRepo). */
function errorCode(response: Response): string | null {
  return response.headers.get("x-error-code");
}

function unquote(etag: string): string {
  return etag.replace(/^W\//, "").replace(/^"|"$/g, "");
}

function defaultToken(): string | undefined {
  const env = process.env;
  const fromEnv = env.HF_TOKEN ?? env.HUGGING_FACE_HUB_TOKEN;
  if (fromEnv?.trim()) return fromEnv.trim();
  const file = env.HF_TOKEN_PATH ?? join(env.HF_HOME ?? join(env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "huggingface"), "token");
  try {
    const token = existsSync(file) ? readFileSync(file, "utf8").trim() : "";
    return token || undefined;
  } catch {
    return undefined;
  }
}

/** A fetch failure's useful part: undici hides the socket error in `cause`. */
export function describe(error: unknown): string {
  const e = error as { message?: string; cause?: { code?: string; message?: string } };
  const cause = e.cause?.code ?? e.cause?.message;
  return cause && cause !== e.message ? `${e.message} (${cause})` : String(e.message ?? error);
}
