import { rmSync } from "node:fs";
import { parseDtype, type RgeDtype } from "../bundle/dtype.js";
import { convertCheckpoint } from "../convert/convert-checkpoint.js";
import { DownloadError, NetworkDisabledError } from "../errors.js";
import { BundleCache, materialize } from "./bundle-cache.js";
import { withLock } from "./file-lock.js";
import { HubCache } from "./hub-cache.js";
import { HubClient, type HubClientOptions } from "./hub-client.js";
import { checkRevision, parseRepoId, type RepoId } from "./repo-ref.js";
import { cachedCheckpoint, fetchSnapshot, probeRepo, type PullProgress, type RepoKind, type Snapshot } from "./snapshot.js";

/** Options of {@link pullModel}. */
export interface PullModelOptions extends HubClientOptions {
  /** The dtype to convert to (checkpoint repos) or fetch the graphs of (bundle repos). Default "fp32". */
  dtype?: RgeDtype;
  /** Branch, tag or commit. Default "main". */
  revision?: string;
  /** Where converted bundles are kept. Default `$RGE_CACHE_DIR` or `~/.cache/rge`. */
  cacheDir?: string;
  /** The Hugging Face hub cache, shared with Python tools. Default `$HF_HUB_CACHE`, `$HF_HOME/hub` or `~/.cache/huggingface/hub`. */
  hubCacheDir?: string;
  /** Ask the hub whether the revision moved even when a bundle for it is cached. Default false: a cached bundle is used with no request. */
  checkForUpdates?: boolean;
  /** Allow requests to the hub. Default true; with false only the caches are used. */
  allowNetwork?: boolean;
  onProgress?: (progress: PullProgress) => void;
  /** Told when an update check failed and the cached bundle is used instead. Default console.warn. */
  onWarning?: (message: string) => void;
}

/** A bundle ready to load, from {@link pullModel}. */
export interface PulledModel {
  /** The bundle directory: give it to `loadRgeModel`. */
  dir: string;
  repo: string;
  /** The commit the revision resolved to. */
  commit: string;
  dtype: RgeDtype;
  /** What the hub repo holds. `undefined` when the bundle came from the cache without asking. */
  kind: RepoKind | undefined;
  /** True when nothing was requested from the hub. */
  offline: boolean;
}

/**
 * Makes a hub repo's model ready to load and returns its bundle directory: an RGE bundle repo is downloaded, a
 * Hugging Face checkpoint (the released `MCG-NJU/RGE`) is downloaded and converted to `dtype`. The checkpoint goes to
 * the Hugging Face hub cache (so one Python tools downloaded is reused), the bundle to the RGE cache; once both are
 * there the call makes no request. Downloads stream to disk, resume after interruptions, are verified against the
 * hub's sha256 and become cache entries only when complete; two processes pulling the same repo wait for each other.
 *
 * @throws {InvalidOptionError} for a malformed repo id or revision.
 * @throws {HubAuthError} on 401/403 (no or wrong token, gated repo). {@link HubNotFoundError} for a missing repo,
 *   revision or file. {@link DownloadError} when retries are exhausted. {@link DownloadCorruptError} when a file
 *   fails verification twice. {@link NetworkDisabledError} when it is not cached and `allowNetwork` is false.
 *   {@link AbortedError} through `signal`.
 * @example
 * const { dir } = await pullModel("MCG-NJU/RGE", { dtype: "q8", onProgress: (p) => console.log(p.stage) });
 * const model = await loadRgeModel(dir, { dtype: "q8" });
 */
export async function pullModel(repoId: string, options: PullModelOptions = {}): Promise<PulledModel> {
  const repo = parseRepoId(repoId);
  const revision = checkRevision(options.revision ?? "main");
  const dtype = parseDtype(options.dtype ?? "fp32");
  const bundles = new BundleCache(repo, options.cacheDir);
  const hub = new HubCache(repo, options.hubCacheDir);
  const cachedCommit = bundles.commitFor(revision);
  const cached = cachedCommit && bundles.has(cachedCommit, dtype) ? cachedCommit : undefined;
  const result = (commit: string, kind: RepoKind | undefined, offline: boolean): PulledModel => ({
    dir: bundles.bundleDir(commit, dtype),
    repo: repo.id,
    commit,
    dtype,
    kind,
    offline,
  });

  if (cached && bundles.isOutdated(cached, dtype)) {
    // Converted by an older @rge/core: convert again when the checkpoint is at hand, else keep it and say so.
    const local = cachedCheckpoint(repo, revision, hub);
    if (local?.commit === cached) {
      await build(local, bundles, dtype, options, true);
      return result(cached, "checkpoint", true);
    }
    (options.onWarning ?? console.warn)(
      `The cached ${dtype} bundle of "${repo.id}" was converted by an older @rge/core, whose ${dtype} graphs are slower, ` +
        `and no checkpoint to convert it again from is in the Hugging Face cache. For a repo of checkpoints, ` +
        `\`rge cache rm ${repo.id} --dtype ${dtype}\` and a new pull convert it again; a repo of bundles needs its owner to convert again.`,
    );
  }
  if (cached && (!options.checkForUpdates || options.allowNetwork === false)) return result(cached, undefined, true);
  const localCheckpoint = options.checkForUpdates ? undefined : cachedCheckpoint(repo, revision, hub);
  if (localCheckpoint) {
    await build(localCheckpoint, bundles, dtype, options);
    bundles.writeRef(revision, localCheckpoint.commit);
    return result(localCheckpoint.commit, "checkpoint", true);
  }
  if (options.allowNetwork === false) {
    throw new NetworkDisabledError(
      `"${repo.id}" (${revision}, ${dtype}) is not in the cache at ${bundles.repoDir}, and network access is off. ` +
        `Pass allowNetwork: true to download it, or run \`rge pull ${repo.id} --dtype ${dtype}\` first.`,
    );
  }
  const client = new HubClient(options);
  let probe;
  try {
    probe = await probeRepo(repo, revision, { client });
  } catch (error) {
    if (cached && error instanceof DownloadError) {
      (options.onWarning ?? console.warn)(`Could not check "${repo.id}" for updates (${error.message}); using the cached bundle of commit ${cached}.`);
      return result(cached, undefined, true);
    }
    throw error;
  }
  if (!bundles.has(probe.commit, dtype)) {
    const snapshot = await fetchSnapshot(repo, revision, probe, { client, cache: hub, dtype, ...(options.onProgress ? { onProgress: options.onProgress } : {}) });
    await build(snapshot, bundles, dtype, options);
  }
  hub.writeRef(revision, probe.commit);
  bundles.writeRef(revision, probe.commit);
  return result(probe.commit, probe.kind, false);
}

/**
 * Converts (checkpoint) or links (bundle repo) a snapshot into the bundle cache, once across processes;
 * `replaceOutdated` converts again over a cached bundle whose graphs are outdated.
 */
async function build(snapshot: Snapshot, bundles: BundleCache, dtype: RgeDtype, options: PullModelOptions, replaceOutdated = false): Promise<void> {
  const { commit } = snapshot;
  const lock = `${bundles.lockDir}/${commit}-${dtype}.rge-lock`;
  await withLock(lock, options.signal, () => options.onProgress?.({ stage: "wait", file: `${dtype} bundle` }), async () => {
    const replace = replaceOutdated && bundles.isOutdated(commit, dtype);
    if (bundles.has(commit, dtype) && !replace) return;
    const partial = bundles.partialDir(commit, dtype);
    try {
      if (snapshot.kind === "bundle") {
        materialize(snapshot.dir, snapshot.files, partial);
      } else {
        await convertCheckpoint(snapshot.dir, partial, {
          dtypes: [dtype],
          overwrite: true,
          onProgress: (p) => options.onProgress?.({ stage: "convert", dtype, graph: p.graph, bytes: p.bytesDone, size: p.bytesTotal }),
        });
      }
      bundles.publish(partial, commit, dtype, replace);
    } catch (error) {
      rmSync(partial, { recursive: true, force: true });
      throw error;
    }
  });
}

/** Downloads a checkpoint repo into the hub cache (no conversion); for `rge convert <hub id>`. */
export async function pullCheckpoint(repoId: string, options: Omit<PullModelOptions, "dtype" | "cacheDir"> = {}): Promise<Snapshot> {
  const repo: RepoId = parseRepoId(repoId);
  const revision = checkRevision(options.revision ?? "main");
  const hub = new HubCache(repo, options.hubCacheDir);
  const local = options.checkForUpdates ? undefined : cachedCheckpoint(repo, revision, hub);
  if (local) return local;
  if (options.allowNetwork === false) throw new NetworkDisabledError(`The checkpoint "${repo.id}" (${revision}) is not in the hub cache at ${hub.repoDir}, and network access is off.`);
  const client = new HubClient(options);
  const probe = await probeRepo(repo, revision, { client, kind: "checkpoint" });
  return fetchSnapshot(repo, revision, probe, { client, cache: hub, dtype: "fp32", ...(options.onProgress ? { onProgress: options.onProgress } : {}) });
}
