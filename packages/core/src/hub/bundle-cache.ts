import { copyFileSync, existsSync, linkSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { DTYPES } from "../bundle/dtype.js";
import { hasOutdatedGraphs, MANIFEST_FILE, parseManifest } from "../bundle/manifest.js";
import { RepoFolder } from "./hub-cache.js";
import { inside, isCommitHash, type RepoId } from "./repo-ref.js";

/**
 * Converted bundles, one per repo, commit and dtype:
 *
 *     <rge cache>/bundles/models--org--name/<commit>/<dtype>/     a complete bundle (renamed into place when done)
 *                                          /refs/<revision>       the commit a revision resolved to when pulled
 *     <rge cache>/.locks/models--org--name/                        lock files
 *
 * Kept apart from the hub cache so that removing a 7.5 GB checkpoint keeps the bundles converted from it.
 */
export class BundleCache extends RepoFolder {
  constructor(repo: RepoId, root = defaultBundleCacheDir()) {
    super(repo, root, ["bundles"]);
  }

  bundleDir(commit: string, dtype: string): string {
    return inside(this.repoDir, commit, dtype);
  }

  /** A bundle is only ever renamed into place complete, so its manifest's presence means it is whole. */
  has(commit: string, dtype: string): boolean {
    return existsSync(join(this.bundleDir(commit, dtype), MANIFEST_FILE));
  }

  /** True when the cached bundle's graphs for `dtype` came from an older `rge convert` (see `hasOutdatedGraphs`). */
  isOutdated(commit: string, dtype: string): boolean {
    const path = join(this.bundleDir(commit, dtype), MANIFEST_FILE);
    try {
      return hasOutdatedGraphs(parseManifest(JSON.parse(readFileSync(path, "utf8")), path), dtype);
    } catch {
      return false; // unreadable: loading it reports the problem, with the file named
    }
  }

  /** A fresh directory to build a bundle in, beside its final place (same file system, so the rename is atomic). */
  partialDir(commit: string, dtype: string): string {
    const dir = inside(this.repoDir, commit, `.${dtype}.partial-${process.pid}-${Math.random().toString(36).slice(2)}`);
    mkdirSync(dir, { recursive: true });
    return dir;
  }

  /**
   * Moves a finished bundle into place; if another process got there first, keeps theirs. With `replace`, an
   * existing bundle (an outdated one, under the caller's lock) is moved aside first and removed after the swap,
   * so the place never holds a partial bundle.
   */
  publish(partial: string, commit: string, dtype: string, replace = false): string {
    const dir = this.bundleDir(commit, dtype);
    const old = replace && existsSync(dir) ? inside(this.repoDir, commit, `.${dtype}.old-${process.pid}-${Math.random().toString(36).slice(2)}`) : undefined;
    if (old) renameSync(dir, old);
    try {
      renameSync(partial, dir);
    } catch (error) {
      if (!this.has(commit, dtype)) throw error;
      rmSync(partial, { recursive: true, force: true });
    }
    if (old) rmSync(old, { recursive: true, force: true });
    return dir;
  }
}

/** `$RGE_CACHE_DIR`, else `~/.cache/rge` (`$XDG_CACHE_HOME/rge`). */
export function defaultBundleCacheDir(): string {
  return process.env.RGE_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "rge");
}

/**
 * Puts `files` of a hub snapshot into `to` as real files: hard links to the blobs where the two caches share a file
 * system, copies otherwise. Symlinks would not do: ONNX Runtime resolves a graph's real path and looks for its
 * external data beside it, in `blobs/`, where the data is named by its hash.
 */
export function materialize(snapshotDir: string, files: string[], to: string): void {
  for (const file of files) {
    const blob = realpathSync(inside(snapshotDir, file));
    const target = inside(to, file);
    mkdirSync(dirname(target), { recursive: true });
    try {
      linkSync(blob, target);
    } catch {
      copyFileSync(blob, target);
    }
  }
}

/** A converted bundle in the cache. */
export interface CachedBundleEntry {
  repo: string;
  commit: string;
  dtype: string;
  dir: string;
  bytes: number;
  /** Revisions whose ref points at this commit. */
  refs: string[];
}

/** Every converted bundle under `root`. */
export function listBundles(root = defaultBundleCacheDir()): CachedBundleEntry[] {
  return repoFolders(join(root, "bundles")).flatMap(({ repo, repoDir, refsOf }) =>
    readdirSync(repoDir)
      .filter(isCommitHash)
      .flatMap((commit) =>
        readdirSync(join(repoDir, commit))
          .filter((d) => (DTYPES as readonly string[]).includes(d) && existsSync(join(repoDir, commit, d, MANIFEST_FILE)))
          .map((dtype) => {
            const dir = join(repoDir, commit, dtype);
            return { repo, commit, dtype, dir, bytes: treeBytes(dir), refs: refsOf(commit) };
          }),
      ),
  );
}

/** The `models--org--name` folders under `base`, with their repo id and a lookup of the refs naming a commit. */
export function repoFolders(base: string): { repo: string; repoDir: string; refsOf: (commit: string) => string[] }[] {
  if (!existsSync(base)) return [];
  return readdirSync(base).flatMap((folder) => {
    const match = /^models--(.+?)--(.+)$/.exec(folder);
    if (!match) return [];
    const repoDir = join(base, folder);
    const refs = readRefs(join(repoDir, "refs"));
    return [{ repo: `${match[1]}/${match[2]}`, repoDir, refsOf: (commit: string) => refs.filter((r) => r.commit === commit).map((r) => r.name) }];
  });
}

/** The refs under a `refs` folder, names relative to it ("main", "refs/pr/1"). */
export function readRefs(dir: string, prefix = ""): { name: string; commit: string }[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? readRefs(join(dir, e.name), `${prefix}${e.name}/`)
      : e.isFile() && !e.name.endsWith(".tmp")
        ? [{ name: `${prefix}${e.name}`, commit: readFileSync(join(dir, e.name), "utf8").trim() }]
        : [],
  );
}

/** Bytes of the regular files under `dir` (hard-linked blobs count in full: removing the entry may not free them). */
export function treeBytes(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory()) total += treeBytes(path);
    else if (e.isFile()) total += statSync(path).size;
  }
  return total;
}
