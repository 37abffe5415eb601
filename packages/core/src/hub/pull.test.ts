import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { convertCheckpoint } from "../convert/convert-checkpoint.js";
import { loadRgeModel } from "../engine/rge-model.js";
import { AbortedError, DownloadCorruptError, DownloadError, HubAuthError, HubNotFoundError, InvalidOptionError, NetworkDisabledError } from "../errors.js";
import { MockHub, sha256 } from "../testing/mock-hub.js";
import { tempDir } from "../testing/temp-dir.js";
import { listCache, removeFromCache } from "./cache-admin.js";
import { pullModel, type PullModelOptions } from "./pull.js";
import type { PullProgress } from "./snapshot.js";

const checkpoint = join(import.meta.dirname, "..", "convert", "__fixtures__", "reference", "checkpoint");
const reference = JSON.parse(readFileSync(join(checkpoint, "..", "reference.json"), "utf8")) as {
  max_new_tokens: number;
  queries: { text?: string; image?: string; instruction: string; embedding: number[]; generated_ids: number[] }[];
};
const SHARD = "model-00001-of-00003.safetensors";

let hub: MockHub;
let commit: string;
const dirs: { remove: () => void }[] = [];

beforeAll(async () => {
  hub = await MockHub.start();
  commit = hub.addRepo("org/rge-tiny", checkpoint);
});
afterAll(async () => {
  await hub.close();
  for (const d of dirs) d.remove();
});
/** Index of the first request of the running test. */
let mark = 0;
beforeEach(() => {
  mark = hub.requests.length;
});
afterEach(() => {
  hub.faults.length = 0;
});

/** Runs `work` with the global fetch replaced by one that throws: proof that nothing is requested. */
async function withoutNetwork<T>(work: () => Promise<T>): Promise<T> {
  const saved = globalThis.fetch;
  globalThis.fetch = noNetwork;
  try {
    return await work();
  } finally {
    globalThis.fetch = saved;
  }
}

/** Fresh caches for one test, and options pointing at the mock hub with fast retries. */
function caches(): PullModelOptions & { cacheDir: string; hubCacheDir: string } {
  const rge = tempDir("rge-cache-");
  const hf = tempDir("hf-cache-");
  dirs.push(rge, hf);
  return { cacheDir: rge.dir, hubCacheDir: hf.dir, endpoint: hub.url, token: false, retryDelayMs: 5 };
}

const noNetwork = (() => {
  throw new Error("the network was used");
}) as unknown as typeof fetch;

const textQuery = reference.queries.find((q) => q.text !== undefined && q.image === undefined)!;

describe("pullModel from a checkpoint repo", () => {
  it("downloads into the hub cache layout, converts, and loads with the reference embeddings; then loads with no request", async () => {
    const options = caches();
    const progress: PullProgress[] = [];
    const pulled = await pullModel("org/rge-tiny", { ...options, onProgress: (p) => progress.push(p) });
    expect(pulled).toMatchObject({ repo: "org/rge-tiny", commit, kind: "checkpoint", offline: false, dtype: "fp32" });

    // The Hugging Face layout: blobs named by hash, snapshot symlinks into them, refs/main = the commit.
    const repoDir = join(options.hubCacheDir, "models--org--rge-tiny");
    expect(readFileSync(join(repoDir, "refs", "main"), "utf8")).toBe(commit);
    const shardLink = join(repoDir, "snapshots", commit, SHARD);
    expect(lstatSync(shardLink).isSymbolicLink()).toBe(true);
    expect(readlinkSync(shardLink)).toBe(join("..", "..", "blobs", sha256(readFileSync(join(checkpoint, SHARD)))));
    expect(readdirSync(join(repoDir, "blobs")).some((b) => b.endsWith(".incomplete"))).toBe(false);

    const stages = new Set(progress.map((p) => p.stage));
    expect(stages).toEqual(new Set(["plan", "download", "convert"]));
    const last = progress.filter((p) => p.stage === "download").at(-1)!;
    expect(last.stage === "download" && last.bytes === last.size).toBe(true);

    const fromDisk = tempDir();
    dirs.push(fromDisk);
    await convertCheckpoint(checkpoint, fromDisk.dir);
    const [pulledModel, diskModel] = await Promise.all([
      withoutNetwork(() =>
        loadRgeModel("org/rge-tiny", { cacheDir: options.cacheDir, hubCacheDir: options.hubCacheDir, endpoint: hub.url, maxNewTokens: reference.max_new_tokens }),
      ),
      loadRgeModel(fromDisk.dir, { maxNewTokens: reference.max_new_tokens }),
    ]);
    try {
      const input = { text: textQuery.text!, instruction: textQuery.instruction };
      const [a, b] = [await pulledModel.embedQuery(input), await diskModel.embedQuery(input)];
      expect(a.generatedIds).toEqual(textQuery.generated_ids);
      expect(Array.from(a.embedding)).toEqual(Array.from(b.embedding));
      expect(Math.max(...Array.from(a.embedding, (v, i) => Math.abs(v - textQuery.embedding[i]!)))).toBeLessThan(1e-4);
    } finally {
      await Promise.all([pulledModel.dispose(), diskModel.dispose()]);
    }

    const before = hub.requests.length;
    const again = await withoutNetwork(() => pullModel("org/rge-tiny", { ...options, allowNetwork: false }));
    expect(again).toMatchObject({ dir: pulled.dir, offline: true });
    expect(hub.requests.length).toBe(before);
  });

  it("loadRgeModel takes the hub id in one call, and a second load works with the network off", async () => {
    const options = caches();
    const load = { cacheDir: options.cacheDir, hubCacheDir: options.hubCacheDir, endpoint: hub.url };
    const model = await loadRgeModel("org/rge-tiny", { ...load, allowNetwork: true });
    await model.dispose();
    const offline = await withoutNetwork(() => loadRgeModel("org/rge-tiny", load));
    expect(offline.dimension).toBeGreaterThan(0);
    await offline.dispose();
    await expect(loadRgeModel("org/other", load)).rejects.toThrow(NetworkDisabledError);
  });

  it("uses a checkpoint already in the hub cache (as Python's huggingface_hub leaves it) without any request", async () => {
    const first = caches();
    await pullModel("org/rge-tiny", first);
    const second = { ...caches(), hubCacheDir: first.hubCacheDir };
    const before = hub.requests.length;
    const pulled = await withoutNetwork(() => pullModel("org/rge-tiny", { ...second, allowNetwork: false, dtype: "q8" }));
    expect(pulled).toMatchObject({ offline: true, commit, dtype: "q8" });
    expect(hub.requests.length).toBe(before);
  });

  it("converts a cached bundle again, offline, when an older converter wrote its q8 graphs; warns and keeps it without a checkpoint", async () => {
    const options = caches();
    const [q8, fp32] = [await pullModel("org/rge-tiny", { ...options, dtype: "q8" }), await pullModel("org/rge-tiny", options)];
    /** Makes a cached bundle look written before graph versions existed (every bundle of @rge/core 0.x before q8 moved to int8). */
    const age = (dir: string) => {
      const path = join(dir, "rge.json");
      const manifest = JSON.parse(readFileSync(path, "utf8")) as { source: { graphVersions?: unknown } };
      delete manifest.source.graphVersions;
      writeFileSync(path, JSON.stringify(manifest));
    };
    const pullOffline = async (extra: PullModelOptions) => {
      const stages: string[] = [];
      const warnings: string[] = [];
      const pulled = await withoutNetwork(() =>
        pullModel("org/rge-tiny", { ...options, allowNetwork: false, onProgress: (p) => stages.push(p.stage), onWarning: (w) => warnings.push(w), ...extra }),
      );
      return { pulled, converted: stages.includes("convert"), warnings };
    };
    age(q8.dir);
    age(fp32.dir);
    const again = await pullOffline({ dtype: "q8" });
    expect(again).toMatchObject({ pulled: { dir: q8.dir, commit }, converted: true, warnings: [] });
    expect((JSON.parse(readFileSync(join(q8.dir, "rge.json"), "utf8")) as { source: { graphVersions: unknown } }).source.graphVersions).toEqual({ q8: 2 });
    expect(readdirSync(join(q8.dir, "..")).filter((d) => d.startsWith("."))).toEqual([]); // the old bundle is gone
    expect(await pullOffline({ dtype: "q8" })).toMatchObject({ converted: false, warnings: [] }); // current now
    expect(await pullOffline({ dtype: "fp32" })).toMatchObject({ converted: false, warnings: [] }); // fp32 graphs did not change

    age(q8.dir);
    const noCheckpoint = await pullOffline({ dtype: "q8", hubCacheDir: caches().hubCacheDir });
    expect(noCheckpoint).toMatchObject({ pulled: { dir: q8.dir }, converted: false });
    expect(noCheckpoint.warnings).toEqual([expect.stringMatching(/converted by an older @rge\/core.*rge cache rm org\/rge-tiny --dtype q8/)]);
    const loadWarnings: string[] = [];
    const model = await loadRgeModel(q8.dir, { dtype: "q8", onWarning: (w) => loadWarnings.push(w) }); // still works, and says so
    expect(model.dimension).toBeGreaterThan(0);
    expect(loadWarnings).toEqual([expect.stringMatching(/q8 graphs from an older rge convert.*--dtype q8/)]);
    await model.dispose();
  });

  it("asks the hub again only with checkForUpdates, and falls back to the cache when the hub is unreachable", async () => {
    const options = caches();
    await pullModel("org/rge-tiny", options);
    const before = hub.requests.length;
    const checked = await pullModel("org/rge-tiny", { ...options, checkForUpdates: true });
    expect(checked.offline).toBe(false);
    const asked = hub.requests.slice(before);
    expect(asked.every((r) => r.method === "HEAD")).toBe(true); // the bundle for that commit exists: nothing downloaded
    const warnings: string[] = [];
    const down = (async () => {
      throw new TypeError("fetch failed");
    }) as unknown as typeof fetch;
    const fallback = await pullModel("org/rge-tiny", { ...options, checkForUpdates: true, fetch: down, retries: 1, onWarning: (m) => warnings.push(m) });
    expect(fallback.offline).toBe(true);
    expect(warnings[0]).toMatch(/using the cached bundle/);
  });
});

describe("downloads that go wrong", () => {
  it("resumes with Range after the connection drops mid-file", async () => {
    const options = caches();
    hub.faults.push({ file: SHARD, kind: "drop", after: 100_000 });
    await pullModel("org/rge-tiny", options);
    const gets = hub.downloadsOf(SHARD, mark);
    expect(gets.length).toBe(2);
    expect(gets[1]!.range).toMatch(/^bytes=\d+-$/);
    expect(Number(/\d+/.exec(gets[1]!.range!)![0])).toBeGreaterThan(0);
  });

  it("resumes after a truncated chunked response and after a response that ends early", async () => {
    const options = caches();
    hub.faults.push({ file: SHARD, kind: "truncate-chunked", after: 50_000 }, { file: "model-00002-of-00003.safetensors", kind: "short", after: 70_000 });
    await pullModel("org/rge-tiny", options);
    expect(hub.downloadsOf(SHARD, mark)[1]!.range).toBe("bytes=50000-");
    expect(hub.downloadsOf("model-00002-of-00003.safetensors", mark)[1]!.range).toBe("bytes=70000-");
  });

  it("starts over when the server ignores the range", async () => {
    const options = caches();
    hub.faults.push({ file: SHARD, kind: "drop", after: 100_000 }, { file: SHARD, kind: "ignore-range" });
    await expect(pullModel("org/rge-tiny", options)).resolves.toMatchObject({ kind: "checkpoint" });
  });

  it("rejects corrupt bytes and fetches the file again; twice corrupt is a typed error and nothing is cached", async () => {
    const options = caches();
    hub.faults.push({ file: SHARD, kind: "corrupt", after: 1234 });
    await pullModel("org/rge-tiny", options);
    expect(hub.downloadsOf(SHARD, mark).filter((r) => !r.range).length).toBe(2);

    const other = caches();
    hub.faults.push({ file: SHARD, kind: "corrupt", after: 10 }, { file: SHARD, kind: "corrupt", after: 20 });
    const error = await pullModel("org/rge-tiny", other).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DownloadCorruptError);
    expect((error as DownloadCorruptError).expected).toBe(sha256(readFileSync(join(checkpoint, SHARD))));
    const blobs = join(other.hubCacheDir, "models--org--rge-tiny", "blobs");
    expect(readdirSync(blobs).filter((b) => b === (error as DownloadCorruptError).expected || b.endsWith(".incomplete"))).toEqual([]);
    expect(existsSync(join(other.hubCacheDir, "models--org--rge-tiny", "refs", "main"))).toBe(false);
    expect(listCache(other).bundles).toEqual([]);
  });

  it("retries 5xx answers and storage refusals, and reports a dropped connection with the URL once retries are spent", async () => {
    const options = caches();
    // 503 and 502, and a 403 from storage (an expired signed URL: the next attempt asks the hub for a fresh one).
    hub.faults.push({ file: SHARD, kind: "status", status: 503 }, { file: SHARD, kind: "status", status: 502 }, { file: SHARD, kind: "status", status: 403 });
    await expect(pullModel("org/rge-tiny", options)).resolves.toMatchObject({ kind: "checkpoint" });

    const failing = caches();
    for (let i = 0; i < 3; i++) hub.faults.push({ file: SHARD, kind: "drop", after: 1000 * (i + 1) });
    const error = await pullModel("org/rge-tiny", { ...failing, retries: 2 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DownloadError);
    expect((error as DownloadError).url).toContain(SHARD);
    expect((error as Error).message).toMatch(/failed 3 times.*resumes/);
    // What arrived is kept, and the next pull resumes from it.
    const blobs = join(failing.hubCacheDir, "models--org--rge-tiny", "blobs");
    const part = readdirSync(blobs).find((b) => b.endsWith(".incomplete"))!;
    const kept = statSync(join(blobs, part)).size;
    expect(kept).toBeGreaterThan(0);
    await pullModel("org/rge-tiny", failing);
    expect(hub.downloadsOf(SHARD, mark).at(-1)!.range).toBe(`bytes=${kept}-`);
  });

  it("cancels a slow download through the AbortSignal and keeps the part", async () => {
    const options = caches();
    hub.faults.push({ file: SHARD, kind: "slow", delayMs: 20 });
    const controller = new AbortController();
    const pending = pullModel("org/rge-tiny", { ...options, signal: controller.signal, onProgress: (p) => p.stage === "download" && p.file === SHARD && p.fileBytes >= 3 && controller.abort() });
    await expect(pending).rejects.toThrow(AbortedError);
    const blobs = readdirSync(join(options.hubCacheDir, "models--org--rge-tiny", "blobs"));
    expect(blobs.some((b) => b.endsWith(".incomplete"))).toBe(true);
  });

  it("drops a stalled connection and resumes", async () => {
    const options = caches();
    hub.faults.push({ file: SHARD, kind: "slow", delayMs: 400 });
    await expect(pullModel("org/rge-tiny", { ...options, stallTimeoutMs: 150 })).resolves.toMatchObject({ kind: "checkpoint" });
  });

  it("two concurrent pulls of one repo download each file once and both succeed", async () => {
    const options = caches();
    const [a, b] = await Promise.all([pullModel("org/rge-tiny", options), pullModel("org/rge-tiny", options)]);
    expect(a.dir).toBe(b.dir);
    expect(hub.downloadsOf(SHARD, mark).length).toBe(1);
    expect(hub.downloadsOf("config.json", mark).length).toBe(1);
  });
});

describe("the hub's answers as typed errors", () => {
  it("401 without a token and with a wrong one, success with the right one; the token never goes to storage", async () => {
    hub.addRepo("org/private", checkpoint, { token: "hf_right" });
    const error = await pullModel("org/private", caches()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HubNotFoundError); // the hub answers 401 RepoNotFound to a private repo without a token
    expect((error as Error).message).toMatch(/HF_TOKEN/);
    const wrong = await pullModel("org/private", { ...caches(), token: "hf_wrong" }).catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(HubAuthError);
    expect(wrong).toMatchObject({ status: 401 });
    const before = hub.requests.length;
    await pullModel("org/private", { ...caches(), token: "hf_right" });
    const seen = hub.requests.slice(before);
    expect(seen.filter((r) => r.server === "hub").every((r) => r.authorization === "Bearer hf_right")).toBe(true);
    expect(seen.filter((r) => r.server === "storage").every((r) => r.authorization === undefined)).toBe(true);
  });

  it("reads HF_TOKEN", async () => {
    const saved = process.env.HF_TOKEN;
    process.env.HF_TOKEN = "hf_right";
    try {
      const { token: _none, ...options } = caches();
      await expect(pullModel("org/private", options)).resolves.toMatchObject({ kind: "checkpoint" });
    } finally {
      if (saved === undefined) delete process.env.HF_TOKEN;
      else process.env.HF_TOKEN = saved;
    }
  });

  it("a gated repo (401 without a token, 403 with one whose account did not accept) says to accept its terms", async () => {
    hub.addRepo("org/gated", checkpoint, { gated: true });
    for (const [token, status] of [[false, 401], ["hf_any", 403]] as const) {
      const error = await pullModel("org/gated", { ...caches(), token }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(HubAuthError);
      expect(error).toMatchObject({ status });
      expect((error as Error).message).toContain(`accept its terms at ${hub.url}/org/gated`);
    }
  });

  it("404s: no repo, no revision, and a repo with neither a bundle nor a checkpoint", async () => {
    await expect(pullModel("org/missing", caches())).rejects.toMatchObject({ what: "repo" });
    await expect(pullModel("org/rge-tiny", { ...caches(), revision: "v9" })).rejects.toMatchObject({ what: "revision" });
    hub.addFiles("org/readme-only", new Map([["README.md", Buffer.from("# hi")]]));
    const error = await pullModel("org/readme-only", caches()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HubNotFoundError);
    expect((error as Error).message).toMatch(/neither an RGE bundle.*nor a checkpoint/);
  });

  it("a network failure names the URL", async () => {
    const error = await pullModel("org/rge-tiny", { ...caches(), endpoint: "http://127.0.0.1:9", retries: 0 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DownloadError);
    expect((error as Error).message).toContain("http://127.0.0.1:9/org/rge-tiny/resolve/main/rge.json");
  });
});

describe("paths stay in the cache", () => {
  const badRepos = ["a/..", "../a", "a/b/c", "a\\b/c", "a/b%2F..", "/abs/x", "a/.hidden", "a/b--c", "a"];
  const badRevisions = ["../../../../x", "a/..", "..\\x", "/etc", "%2e%2e/x", "a//b", "x\0y"];

  it.each(badRepos)("refuses the repo id %j", async (id) => {
    const options = caches();
    await expect(pullModel(id, options)).rejects.toThrow(InvalidOptionError);
    expect(readdirSync(options.cacheDir)).toEqual([]);
  });

  it.each(badRevisions)("refuses the revision %j", async (revision) => {
    const options = caches();
    await expect(pullModel("org/rge-tiny", { ...options, revision })).rejects.toThrow(InvalidOptionError);
    expect(readdirSync(options.cacheDir)).toEqual([]);
  });

  it("refuses shard names in the index that leave the repo", async () => {
    const index = JSON.parse(readFileSync(join(checkpoint, "model.safetensors.index.json"), "utf8")) as { weight_map: Record<string, string> };
    const first = Object.keys(index.weight_map)[0]!;
    index.weight_map[first] = "../../../escaped.safetensors";
    const files = new Map([["model.safetensors.index.json", Buffer.from(JSON.stringify(index))], ["config.json", readFileSync(join(checkpoint, "config.json"))]]);
    hub.addFiles("org/evil", files);
    const options = caches();
    await expect(pullModel("org/evil", options)).rejects.toThrow(InvalidOptionError);
  });
});

describe("bundle repos and the cache commands", () => {
  it("pulls a converted bundle with external data, remembers absent optional files, lists and removes", async () => {
    const bundle = tempDir();
    dirs.push(bundle);
    await convertCheckpoint(checkpoint, bundle.dir, { externalData: "always", dtypes: ["fp32"] });
    writeFileSync(join(bundle.dir, "README.md"), "not needed");
    const generation = join(bundle.dir, "generation_config.json");
    const bundleFiles = readdirSync(join(bundle.dir, "onnx"));
    expect(bundleFiles.some((f) => f.endsWith("_data"))).toBe(true);
    if (existsSync(generation)) writeFileSync(generation, readFileSync(generation)); // present: no marker expected
    const bundleCommit = hub.addRepo("org/rge-bundle", bundle.dir);
    const options = caches();
    const pulled = await pullModel("org/rge-bundle", options);
    expect(pulled).toMatchObject({ kind: "bundle", commit: bundleCommit });
    expect(hub.requests.some((r) => r.target === "README.md")).toBe(false);
    const model = await loadRgeModel(pulled.dir);
    await model.dispose();

    const listing = listCache(options);
    expect(listing.bundles.map((b) => [b.repo, b.dtype, b.commit, b.refs])).toEqual([["org/rge-bundle", "fp32", bundleCommit, ["main"]]]);
    expect(listing.checkpoints).toEqual([]);
    const removed = removeFromCache("org/rge-bundle", { ...options, checkpoint: true });
    expect(removed.bytes).toBeGreaterThan(0);
    expect(listCache(options).bundles).toEqual([]);
    expect(existsSync(join(options.hubCacheDir, "models--org--rge-bundle"))).toBe(false);
  });

  it("lists checkpoints and removes only the dtype asked for", async () => {
    const options = caches();
    await pullModel("org/rge-tiny", options);
    await pullModel("org/rge-tiny", { ...options, dtype: "q8" });
    expect(listCache(options).checkpoints.map((c) => [c.repo, c.commit, c.refs])).toEqual([["org/rge-tiny", commit, ["main"]]]);
    removeFromCache("org/rge-tiny", { ...options, dtype: "q8" });
    expect(listCache(options).bundles.map((b) => b.dtype)).toEqual(["fp32"]);
    removeFromCache("org/rge-tiny", { ...options, checkpoint: true });
    expect(listCache(options)).toEqual({ bundles: [], checkpoints: [] });
  });
});
