import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, relative } from "node:path";
import { checkRevision, inside, isCommitHash, type RepoId } from "./repo-ref.js";

/** A repo's folder in a cache (`<root>/<...under>/models--org--name`), its lock folder and its refs. */
export class RepoFolder {
  readonly repoDir: string;
  readonly lockDir: string;

  constructor(
    readonly repo: RepoId,
    readonly root: string,
    under: string[],
  ) {
    const folder = repoFolderName(repo);
    this.repoDir = inside(root, ...under, folder);
    this.lockDir = inside(root, ".locks", folder);
  }

  /** The commit `revision` resolves to in the cache: itself for a commit hash, else what `refs/<revision>` says. */
  commitFor(revision: string): string | undefined {
    if (isCommitHash(revision)) return revision;
    const ref = inside(this.repoDir, "refs", checkRevision(revision));
    if (!existsSync(ref)) return undefined;
    const commit = readFileSync(ref, "utf8").trim();
    return isCommitHash(commit) ? commit : undefined;
  }

  writeRef(revision: string, commit: string): void {
    if (revision !== commit) writeAtomically(inside(this.repoDir, "refs", checkRevision(revision)), commit);
  }
}

/**
 * The Hugging Face hub cache, in the layout Python's `huggingface_hub` writes, so that files either side downloaded
 * are shared:
 *
 *     <hub cache>/models--org--name/blobs/<etag>                   file contents, named by the hub's hash
 *                                  /snapshots/<commit>/<path>      symlinks into blobs, one tree per commit
 *                                  /refs/<revision>                the commit a branch or tag pointed at
 *                                  /.no_exist/<commit>/<path>      empty markers: the file is not in that commit
 *     <hub cache>/.locks/models--org--name/                        lock files
 */
export class HubCache extends RepoFolder {
  constructor(repo: RepoId, root = defaultHubCacheDir()) {
    super(repo, root, []);
  }

  blobPath(etag: string): string {
    return inside(this.repoDir, "blobs", etag);
  }

  snapshotDir(commit: string): string {
    return inside(this.repoDir, "snapshots", commit);
  }

  snapshotPath(commit: string, file: string): string {
    return inside(this.snapshotDir(commit), file);
  }

  /** Whether the file is cached for the commit (a snapshot entry whose blob exists). */
  has(commit: string, file: string): boolean {
    return existsSync(this.snapshotPath(commit, file)); // existsSync follows the link: a dangling one is "not there"
  }

  /**
   * Makes `snapshots/<commit>/<file>` point at the blob: a relative symlink, or a copy where links are refused. Made
   * under a temporary name and renamed over the entry, so that processes linking the same file at once cannot clash.
   */
  link(commit: string, file: string, etag: string): void {
    const pointer = this.snapshotPath(commit, file);
    const blob = this.blobPath(etag);
    mkdirSync(dirname(pointer), { recursive: true });
    const temp = `${pointer}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    try {
      symlinkSync(relative(dirname(pointer), blob), temp);
    } catch {
      copyFileSync(blob, temp); // e.g. Windows without developer mode, as huggingface_hub does
    }
    renameSync(temp, pointer);
  }

  /** Records that `file` is not in `commit`, so that later loads do not ask again. */
  markMissing(commit: string, file: string): void {
    const marker = inside(this.repoDir, ".no_exist", commit, file);
    mkdirSync(dirname(marker), { recursive: true });
    writeFileSync(marker, "");
  }

  knownMissing(commit: string, file: string): boolean {
    return existsSync(inside(this.repoDir, ".no_exist", commit, file));
  }
}

/** `$HF_HUB_CACHE`, else `$HF_HOME/hub`, else `~/.cache/huggingface/hub` (with `$XDG_CACHE_HOME` honoured), as Python does. */
export function defaultHubCacheDir(): string {
  const env = process.env;
  if (env.HF_HUB_CACHE) return env.HF_HUB_CACHE;
  if (env.HUGGINGFACE_HUB_CACHE) return env.HUGGINGFACE_HUB_CACHE;
  const home = env.HF_HOME ?? join(env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "huggingface");
  return join(home, "hub");
}

/** `models--org--name`: the folder of a model repo in the hub cache. */
export function repoFolderName(repo: RepoId): string {
  return `models--${repo.org}--${repo.name}`;
}

/** Writes a small file so that readers see the old or the new content, never a part. */
export function writeAtomically(path: string, content: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  writeFileSync(temp, content);
  renameSync(temp, path);
}
