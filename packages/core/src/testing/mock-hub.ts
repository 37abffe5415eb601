import { createHash } from "node:crypto";
import { createReadStream, readdirSync, readFileSync, statSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join, relative } from "node:path";
import { pipeline } from "node:stream";
import { definedFields } from "../options/option-rules.js";

/** One request the mock hub or its storage server saw. */
export interface MockHubRequest {
  server: "hub" | "storage";
  method: string;
  /** The file for hub requests (`resolve/<rev>/<file>`), the sha256 for storage requests. */
  target: string;
  revision?: string;
  range?: string;
  authorization?: string;
}

/**
 * A fault applied to the next storage response for a file (by repo path), used once:
 * - `drop`: the connection is cut after `after` bytes;
 * - `short`: the response ends cleanly (chunked, final chunk sent) after `after` bytes;
 * - `truncate-chunked`: chunked encoding, cut after `after` bytes without the final chunk;
 * - `corrupt`: one byte at `after` is flipped;
 * - `slow`: one byte per `delayMs`;
 * - `status`: answer `status` (e.g. 503) instead;
 * - `ignore-range`: answer 200 with the whole file to a Range request.
 * `status` and `ignore-range` apply to every file; the others change the body, so they need an in-memory file.
 */
export type MockHubFault =
  | { file: string; kind: "drop" | "short" | "truncate-chunked" | "corrupt"; after: number }
  | { file: string; kind: "slow"; delayMs: number }
  | { file: string; kind: "status"; status: number }
  | { file: string; kind: "ignore-range" };

/**
 * A repo file served from disk rather than held in memory, for files of gigabytes. Served as an LFS file, so its repo
 * path must be one (a `.onnx`, `.onnx_data`, `.safetensors` or `.bin` file); the caller gives its hash, typically
 * computed while writing it, so that adding it does not read it again.
 */
export interface MockHubDiskFile {
  path: string;
  size: number;
  sha256: string;
}

/** What a repo file holds: its bytes, or where they are on disk. */
export type MockHubContent = Buffer | MockHubDiskFile;

export interface MockHubRepo {
  /** Files by repo path. */
  files: Map<string, MockHubContent>;
  commit: string;
  /** Bearer token the repo requires (a private repo); none by default. */
  token?: string;
  /** Answer GatedRepo to every file request: 401 without a token, 403 with one (terms not accepted). */
  gated?: boolean;
}

/** Paths stored with LFS on the hub (redirected to storage, sha256 in X-Linked-Etag): weights and graphs. */
const LFS = /\.(safetensors|onnx|onnx_data|bin)$|_data(_\d+)?$/;

/**
 * A local stand-in for the Hugging Face hub, on 127.0.0.1, speaking the parts of its protocol downloads use:
 * `/{org}/{name}/resolve/{revision}/{file}` answers HEAD and GET with X-Repo-Commit and the hash ETag; LFS files are
 * 302-redirected to a second server (another origin, like the hub's storage) with X-Linked-Etag (sha256) and
 * X-Linked-Size, and served there with Range support. Errors carry the hub's X-Error-Code. Faults can be queued.
 */
export class MockHub {
  readonly repos = new Map<string, MockHubRepo>();
  readonly requests: MockHubRequest[] = [];
  readonly faults: MockHubFault[] = [];
  private readonly blobs = new Map<string, MockHubContent>();
  private hub!: Server;
  private storage!: Server;
  url = "";
  private storageUrl = "";

  static async start(): Promise<MockHub> {
    const hub = new MockHub();
    hub.hub = createServer((req, res) => hub.onHub(req, res));
    hub.storage = createServer((req, res) => hub.onStorage(req, res));
    hub.url = await listen(hub.hub);
    hub.storageUrl = await listen(hub.storage);
    return hub;
  }

  /** Serves the files of a local directory as repo `id`; returns the commit hash it gets. */
  addRepo(id: string, dir: string, options: { token?: string; gated?: boolean } = {}): string {
    const files = new Map<string, Buffer>();
    const walk = (d: string) => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        const path = join(d, e.name);
        if (e.isDirectory()) walk(path);
        else if (statSync(path).isFile()) files.set(relative(dir, path).split("\\").join("/"), readFileSync(path));
      }
    };
    walk(dir);
    return this.addFiles(id, files, options);
  }

  /** Serves `files` (by repo path) as repo `id`; returns the commit hash it gets. */
  addFiles(id: string, files: Map<string, MockHubContent>, options: { token?: string; gated?: boolean } = {}): string {
    const digest = createHash("sha1").update(id);
    for (const [path, content] of [...files].sort(([a], [b]) => a.localeCompare(b))) {
      if (!Buffer.isBuffer(content) && !LFS.test(path)) {
        throw new Error(`MockHub: the disk file ${content.path} is served as "${path}", which is not an LFS path; only LFS files are served from disk.`);
      }
      digest.update(path).update(Buffer.isBuffer(content) ? content : content.sha256);
    }
    const commit = digest.digest("hex");
    for (const content of files.values()) this.blobs.set(contentSha256(content), content);
    this.repos.set(id, { files, commit, ...options });
    return commit;
  }

  /** The requests that fetched a file's bytes (storage GETs for LFS files, hub GETs for others), from request `since` on. */
  downloadsOf(file: string, since = 0): MockHubRequest[] {
    const shas = new Set<string>();
    for (const repo of this.repos.values()) {
      const content = repo.files.get(file);
      if (content) shas.add(contentSha256(content));
    }
    const lfs = LFS.test(file);
    return this.requests.slice(since).filter((r) => (lfs ? r.server === "storage" && shas.has(r.target) : r.server === "hub" && r.method === "GET" && r.target === file));
  }

  async close(): Promise<void> {
    for (const server of [this.hub, this.storage]) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  private onHub(req: IncomingMessage, res: ServerResponse): void {
    const match = /^\/([^/]+)\/([^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(new URL(req.url ?? "/", "http://x").pathname);
    const revision = match ? decodeURIComponent(match[3]!) : undefined;
    const file = match ? match[4]!.split("/").map(decodeURIComponent).join("/") : (req.url ?? "");
    this.requests.push({ server: "hub", method: req.method ?? "", target: file, ...definedFields({ revision, range: req.headers.range, authorization: req.headers.authorization }) });
    const fail = (status: number, code: string) => {
      res.writeHead(status, { "X-Error-Code": code, "Content-Type": "text/plain" }).end(`${code}`);
    };
    if (!match) return fail(404, "EntryNotFound");
    const repo = this.repos.get(`${match[1]}/${match[2]}`);
    if (!repo) return fail(401, "RepoNotFound");
    if (repo.token && req.headers.authorization !== `Bearer ${repo.token}`) return fail(401, req.headers.authorization ? "InvalidCredentials" : "RepoNotFound");
    if (repo.gated) return fail(req.headers.authorization ? 403 : 401, "GatedRepo"); // as the hub: 401 without a token
    if (revision !== "main" && revision !== repo.commit) return fail(404, "RevisionNotFound");
    const content = repo.files.get(file);
    if (!content) return fail(404, "EntryNotFound");
    const common = { "X-Repo-Commit": repo.commit, "Accept-Ranges": "bytes" };
    // The second test only narrows the type: addFiles keeps disk files to LFS paths.
    if (LFS.test(file) || !Buffer.isBuffer(content)) {
      const sha = contentSha256(content);
      res.writeHead(302, {
        ...common,
        Location: `${this.storageUrl}/blobs/${sha}?file=${encodeURIComponent(file)}`,
        "X-Linked-Etag": `"${sha}"`,
        "X-Linked-Size": String(contentSize(content)),
        ETag: `"${sha}"`,
        "Content-Length": "0",
      });
      return void res.end();
    }
    res.writeHead(200, { ...common, ETag: `"${gitBlobSha(content)}"`, "Content-Length": String(content.length) });
    res.end(req.method === "HEAD" ? undefined : content);
  }

  private onStorage(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? "/", "http://x");
    const sha = url.pathname.replace("/blobs/", "");
    const file = url.searchParams.get("file") ?? "";
    this.requests.push({ server: "storage", method: req.method ?? "", target: sha, ...definedFields({ range: req.headers.range, authorization: req.headers.authorization }) });
    const content = this.blobs.get(sha);
    if (!content) return void res.writeHead(404).end();
    const size = contentSize(content);
    const faultAt = this.faults.findIndex((f) => f.file === file);
    const fault = faultAt >= 0 ? this.faults.splice(faultAt, 1)[0] : undefined;
    if (fault?.kind === "status") return void res.writeHead(fault.status).end("unavailable");
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
    const start = range && fault?.kind !== "ignore-range" ? Number(range[1]) : 0;
    if (start >= size && size > 0) {
      return void res.writeHead(416, { "Content-Range": `bytes */${size}` }).end();
    }
    const headers: Record<string, string> = { "Accept-Ranges": "bytes", "Content-Type": "application/octet-stream" };
    if (start > 0) headers["Content-Range"] = `bytes ${start}-${size - 1}/${size}`;
    const status = start > 0 ? 206 : 200;
    if (!Buffer.isBuffer(content)) {
      if (fault && fault.kind !== "ignore-range") throw new Error(`MockHub: the "${fault.kind}" fault needs an in-memory file; "${file}" is served from disk.`);
      res.writeHead(status, { ...headers, "Content-Length": String(size - start) });
      // A client that hangs up (an aborted download) ends the pipeline with an error that is no concern here.
      return void pipeline(createReadStream(content.path, { start, highWaterMark: 1 << 20 }), res, () => {});
    }
    let body = content.subarray(start);
    if (fault?.kind === "corrupt") {
      body = Buffer.from(body);
      const at = Math.min(Math.max(fault.after - start, 0), body.length - 1);
      body[at] = body[at]! ^ 0xff;
    }
    if (fault?.kind === "short" || fault?.kind === "truncate-chunked") {
      res.writeHead(status, headers); // no Content-Length: chunked
      if (fault.kind === "short") return void res.end(body.subarray(0, fault.after));
      return void res.write(body.subarray(0, fault.after), () => cutSoon(res));
    }
    res.writeHead(status, { ...headers, "Content-Length": String(body.length) });
    if (fault?.kind === "drop") {
      res.write(body.subarray(0, fault.after), () => cutSoon(res));
      return;
    }
    if (fault?.kind === "slow") {
      let i = 0;
      const timer = setInterval(() => {
        if (i >= body.length || res.destroyed) {
          clearInterval(timer);
          return void res.end();
        }
        res.write(body.subarray(i, ++i));
      }, fault.delayMs);
      res.on("close", () => clearInterval(timer));
      return;
    }
    res.end(body);
  }
}

/** Cuts the connection shortly after the last write, once the client has read what was sent (a reset discards what it had not). */
function cutSoon(res: ServerResponse): void {
  setTimeout(() => res.socket?.destroy(), 50);
}

function contentSha256(content: MockHubContent): string {
  return Buffer.isBuffer(content) ? sha256(content) : content.sha256;
}

function contentSize(content: MockHubContent): number {
  return Buffer.isBuffer(content) ? content.length : content.size;
}

export function sha256(content: Buffer): string {
  return createHash("sha256").update(content).digest("hex");
}

/** The git blob id of a file: what the hub sends as ETag for files not in LFS. */
export function gitBlobSha(content: Buffer): string {
  return createHash("sha1").update(`blob ${content.length}\0`).update(content).digest("hex");
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
}
