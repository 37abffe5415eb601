import { existsSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parseDtype } from "../bundle/dtype.js";
import { BundleCache, listBundles, readRefs, repoFolders, type CachedBundleEntry } from "./bundle-cache.js";
import { defaultHubCacheDir, HubCache } from "./hub-cache.js";
import { checkRevision, isCommitHash, parseRepoId } from "./repo-ref.js";

export type { CachedBundleEntry } from "./bundle-cache.js";

/** A checkpoint commit in the Hugging Face hub cache that RGE can convert (a Qwen2.5-VL config). */
export interface CachedCheckpointEntry {
  repo: string;
  commit: string;
  dir: string;
  /** Bytes of the blobs this snapshot points to. */
  bytes: number;
  refs: string[];
}

export interface CacheListing {
  bundles: CachedBundleEntry[];
  checkpoints: CachedCheckpointEntry[];
}

/** Where the two caches are, for {@link listCache} and {@link removeFromCache}. */
export interface CacheLocations {
  /** Default `$RGE_CACHE_DIR` or `~/.cache/rge`. */
  cacheDir?: string;
  /** Default `$HF_HUB_CACHE`, `$HF_HOME/hub` or `~/.cache/huggingface/hub`. */
  hubCacheDir?: string;
}

/** What the caches hold: converted bundles, and Qwen2.5-VL checkpoints in the hub cache. Makes no request. */
export function listCache(options: CacheLocations = {}): CacheListing {
  return { bundles: listBundles(options.cacheDir), checkpoints: listCheckpoints(options.hubCacheDir ?? defaultHubCacheDir()) };
}

function listCheckpoints(root: string): CachedCheckpointEntry[] {
  return repoFolders(root).flatMap(({ repo, repoDir, refsOf }) => {
    const snapshots = join(repoDir, "snapshots");
    if (!existsSync(snapshots)) return [];
    return readdirSync(snapshots)
      .filter((commit) => isCommitHash(commit) && isCheckpoint(join(snapshots, commit)))
      .map((commit) => {
        const dir = join(snapshots, commit);
        const bytes = [...snapshotBlobs(dir)].reduce((s, b) => s + (existsSync(b) ? statSync(b).size : 0), 0);
        return { repo, commit, dir, bytes, refs: refsOf(commit) };
      });
  });
}

/** A Qwen2.5-VL config beside safetensors weights: something RGE can convert. */
function isCheckpoint(dir: string): boolean {
  return isQwen25Vl(join(dir, "config.json")) && ["model.safetensors", "model.safetensors.index.json"].some((f) => existsSync(join(dir, f)));
}

function isQwen25Vl(configPath: string): boolean {
  try {
    return (JSON.parse(readFileSync(configPath, "utf8")) as { model_type?: string }).model_type === "qwen2_5_vl";
  } catch {
    return false;
  }
}

/** The blob files a snapshot's symlinks point to (absolute paths). */
function snapshotBlobs(dir: string): Set<string> {
  const blobs = new Set<string>();
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, e.name);
      if (e.isDirectory()) walk(path);
      else if (e.isSymbolicLink()) blobs.add(resolve(dirname(path), readlinkSync(path)));
    }
  };
  walk(dir);
  return blobs;
}

/** Options of {@link removeFromCache}. */
export interface RemoveFromCacheOptions extends CacheLocations {
  /** Only bundles of this dtype. Default all. */
  dtype?: string;
  /** Only this revision's commit (a branch, tag or commit hash). Default all commits. */
  revision?: string;
  /** Also remove the repo's checkpoint from the hub cache (the snapshots, and blobs no other snapshot uses). Default false. */
  checkpoint?: boolean;
}

/** Removes a repo's converted bundles (and with `checkpoint`, its hub-cache snapshots). Returns what went and bytes freed. */
export function removeFromCache(repoId: string, options: RemoveFromCacheOptions = {}): { removed: string[]; bytes: number } {
  const repo = parseRepoId(repoId);
  const dtype = options.dtype === undefined ? undefined : parseDtype(options.dtype);
  const revision = options.revision === undefined ? undefined : checkRevision(options.revision);
  const bundles = new BundleCache(repo, options.cacheDir);
  const removed: string[] = [];
  let bytes = 0;
  const commitOf = (cache: { commitFor(r: string): string | undefined }) => (revision === undefined ? undefined : (cache.commitFor(revision) ?? "none"));

  const bundleCommit = commitOf(bundles);
  for (const entry of listBundles(bundles.root)) {
    if (entry.repo !== repo.id || (dtype && entry.dtype !== dtype) || (bundleCommit && entry.commit !== bundleCommit)) continue;
    bytes += entry.bytes;
    rmSync(entry.dir, { recursive: true, force: true });
    removed.push(entry.dir);
  }
  if (existsSync(bundles.repoDir)) {
    for (const commit of readdirSync(bundles.repoDir).filter(isCommitHash)) {
      const dir = join(bundles.repoDir, commit);
      if (readdirSync(dir).length === 0) rmSync(dir, { recursive: true, force: true });
    }
  }
  pruneEmpty(bundles.repoDir, (commit) => !existsSync(join(bundles.repoDir, commit)));

  if (options.checkpoint) {
    const hub = new HubCache(repo, options.hubCacheDir);
    const snapshots = join(hub.repoDir, "snapshots");
    const hubCommit = commitOf(hub);
    if (existsSync(snapshots)) {
      const commits = readdirSync(snapshots).filter(isCommitHash);
      const doomed = commits.filter((c) => !hubCommit || c === hubCommit);
      const kept = new Set(commits.filter((c) => !doomed.includes(c)).flatMap((c) => [...snapshotBlobs(join(snapshots, c))]));
      for (const commit of doomed) {
        const dir = join(snapshots, commit);
        for (const blob of snapshotBlobs(dir)) {
          if (kept.has(blob) || !existsSync(blob)) continue;
          bytes += statSync(blob).size;
          rmSync(blob, { force: true });
        }
        rmSync(dir, { recursive: true, force: true });
        removed.push(dir);
      }
      pruneEmpty(hub.repoDir, (commit) => !existsSync(join(snapshots, commit)));
    }
  }
  return { removed, bytes };
}

/** Drops refs to removed commits, then the repo folder if nothing but refs and `.no_exist` markers is left in it. */
function pruneEmpty(repoDir: string, gone: (commit: string) => boolean): void {
  if (!existsSync(repoDir)) return;
  const refsDir = join(repoDir, "refs");
  for (const ref of readRefs(refsDir)) if (gone(ref.commit)) rmSync(join(refsDir, ref.name), { force: true });
  const holdsContent = readdirSync(repoDir, { withFileTypes: true }).some(
    (e) => e.name !== "refs" && e.name !== ".no_exist" && (!e.isDirectory() || readdirSync(join(repoDir, e.name)).length > 0),
  );
  if (!holdsContent) rmSync(repoDir, { recursive: true, force: true });
}
