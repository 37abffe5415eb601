import { fromBinary } from "@bufbuild/protobuf";
import { existsSync, readFileSync, statSync } from "node:fs";
import { ModelProtoSchema } from "onnx-buf";
import { CONFIG_FILES, graphPaths, OPTIONAL_FILES } from "../bundle/bundle-files.js";
import type { RgeDtype } from "../bundle/dtype.js";
import { MANIFEST_FILE } from "../bundle/manifest.js";
import { externalDataFiles } from "../convert/external-data-files.js";
import { CheckpointInvalidError, HubNotFoundError } from "../errors.js";
import { downloadBlob } from "./download-blob.js";
import { withLock } from "./file-lock.js";
import type { FileMetadata, HubClient } from "./hub-client.js";
import type { HubCache } from "./hub-cache.js";
import { checkRepoFilePath, type RepoId } from "./repo-ref.js";

/** What a hub repo holds: an RGE bundle (`rge.json` and ONNX graphs) or a Hugging Face checkpoint (safetensors). */
export type RepoKind = "bundle" | "checkpoint";

/** Progress of {@link pullModel} and `loadRgeModel` on a hub id. Sizes are in bytes. */
export type PullProgress =
  /** The files this pull needs, before any is downloaded; `cached` ones will not be. */
  | { stage: "plan"; repo: string; commit: string; files: { file: string; size: number; cached: boolean }[] }
  /** Bytes of one file (`fileBytes` of `fileSize`) and of the whole download (`bytes` of `size`). */
  | { stage: "download"; file: string; fileBytes: number; fileSize: number; bytes: number; size: number }
  /** Another process is downloading this file or converting this bundle; this one waits for it. */
  | { stage: "wait"; file: string }
  /** The checkpoint is being converted: `bytes` of `size` checkpoint bytes done. */
  | { stage: "convert"; dtype: RgeDtype; graph: string; bytes: number; size: number };

/** A commit's files in the hub cache. */
export interface Snapshot {
  repo: RepoId;
  commit: string;
  kind: RepoKind;
  /** `snapshots/<commit>` in the hub cache: every file the pull needed is there. */
  dir: string;
  /** The files of the snapshot this pull needed, as repo paths. */
  files: string[];
}

/** Files the converter reads from a checkpoint besides the weights. */
const CHECKPOINT_CONFIGS = ["config.json", "tokenizer.json", "tokenizer_config.json", "preprocessor_config.json"];
const CHECKPOINT_OPTIONAL = ["generation_config.json", "chat_template.json", "chat_template.jinja"];
const INDEX = "model.safetensors.index.json";
const SINGLE = "model.safetensors";

/** A graph with external data holds only structure (megabytes); one larger than this holds its weights itself. */
const MAX_GRAPH_PARSE_BYTES = 256 * 1024 ** 2;

/**
 * The commit's files in the cache with no request at all, or `undefined` if any is missing. Only checkpoints: a
 * bundle repo is used from the bundle cache, which `pullModel` fills from its snapshot.
 */
export function cachedCheckpoint(repo: RepoId, revision: string, cache: HubCache): Snapshot | undefined {
  const commit = cache.commitFor(revision);
  if (!commit) return undefined;
  const dir = cache.snapshotDir(commit);
  let weights: string[];
  try {
    weights = cache.has(commit, INDEX) ? shardNames(readFileSync(cache.snapshotPath(commit, INDEX), "utf8")) : [SINGLE];
  } catch {
    return undefined;
  }
  const all = [...CHECKPOINT_CONFIGS, ...(weights[0] === SINGLE ? [] : [INDEX]), ...weights];
  if (!all.every((f) => cache.has(commit, f))) return undefined;
  if (!CHECKPOINT_OPTIONAL.every((f) => cache.has(commit, f) || cache.knownMissing(commit, f))) return undefined;
  return { repo, commit, kind: "checkpoint", dir, files: all };
}

/** Options of {@link fetchSnapshot}. */
export interface FetchSnapshotOptions {
  client: HubClient;
  cache: HubCache;
  /** For a bundle repo: the dtype whose graphs to fetch. */
  dtype: RgeDtype;
  onProgress?: (progress: PullProgress) => void;
}

/** Where a revision points on the hub and what kind of repo it is: one to three HEAD requests. */
export interface RepoProbe {
  commit: string;
  kind: RepoKind;
  /** The file that told the kind, and its metadata. */
  file: string;
  meta: FileMetadata;
}

/**
 * Makes sure every file a pull needs from the probed commit is in the hub cache, downloading what is not (see
 * `downloadBlob`). Files already cached cost no request; files the hub says are absent are remembered in `.no_exist`.
 * The ref is written last, so an interrupted pull leaves no ref to a partial snapshot.
 */
export async function fetchSnapshot(repo: RepoId, revision: string, probe: RepoProbe, options: FetchSnapshotOptions): Promise<Snapshot> {
  const { cache } = options;
  const { commit, kind } = probe;
  const fetcher = new FileFetcher(repo, commit, options);
  fetcher.known.set(probe.file, probe.meta);
  let files: string[];
  if (kind === "checkpoint") {
    const weightFiles = probe.file === INDEX ? [INDEX, ...shardNames(await fetcher.small(INDEX))] : [SINGLE];
    await fetcher.fetchAll([...CHECKPOINT_CONFIGS, ...weightFiles], CHECKPOINT_OPTIONAL);
    files = [...CHECKPOINT_CONFIGS, ...weightFiles];
  } else {
    const graphs = Object.values(graphPaths(options.dtype));
    await fetcher.fetchAll([...CONFIG_FILES, ...graphs], OPTIONAL_FILES);
    const data = graphs.flatMap((g) => graphDataFiles(cache.snapshotPath(commit, g), g));
    if (data.length > 0) await fetcher.fetchAll(data, []);
    files = [...CONFIG_FILES, ...OPTIONAL_FILES.filter((f) => cache.has(commit, f)), ...graphs, ...data];
  }
  cache.writeRef(revision, commit);
  return { repo, commit, kind, dir: cache.snapshotDir(commit), files };
}

/** Which kind of repo this is, from a HEAD on `rge.json`, then on the safetensors index or single file. */
export async function probeRepo(repo: RepoId, revision: string, options: { client: HubClient; kind?: RepoKind }): Promise<RepoProbe> {
  const { client } = options;
  const order: [RepoKind, string][] = [
    ["bundle", MANIFEST_FILE],
    ["checkpoint", INDEX],
    ["checkpoint", SINGLE],
  ];
  for (const [kind, file] of order.filter(([k]) => !options.kind || k === options.kind)) {
    const meta = await client.metadata(repo, revision, file);
    if (meta) return { commit: meta.commit, kind, file, meta };
  }
  const what = options.kind
    ? { bundle: "no RGE bundle (rge.json)", checkpoint: "no checkpoint (model.safetensors or its index)" }[options.kind]
    : "neither an RGE bundle (rge.json) nor a checkpoint (model.safetensors or its index)";
  throw new HubNotFoundError(
    `"${repo.id}" at ${revision} holds ${what}. The released RGE model is "MCG-NJU/RGE".`,
    "file",
    client.resolveUrl(repo, revision, options.kind === "bundle" ? MANIFEST_FILE : INDEX),
  );
}

/** Downloads a commit's files into the hub cache, reporting progress over all of them. */
class FileFetcher {
  readonly known = new Map<string, FileMetadata>();
  constructor(
    private readonly repo: RepoId,
    private readonly commit: string,
    private readonly options: FetchSnapshotOptions,
  ) {}

  /** A small file's text, fetched into the cache first (an index or a config). */
  async small(file: string): Promise<string> {
    await this.fetchAll([file], []);
    return readFileSync(this.options.cache.snapshotPath(this.commit, file), "utf8");
  }

  async fetchAll(required: readonly string[], optional: readonly string[]): Promise<void> {
    const { cache, client } = this.options;
    const plan: { file: string; meta: FileMetadata; cached: boolean }[] = [];
    for (const file of [...required, ...optional]) {
      if (cache.has(this.commit, file) || (optional.includes(file) && cache.knownMissing(this.commit, file))) continue;
      const meta = this.known.get(file) ?? (await client.metadata(this.repo, this.commit, file));
      if (!meta) {
        if (required.includes(file)) {
          throw new HubNotFoundError(`"${this.repo.id}" (commit ${this.commit}) has no ${file}, which it needs.`, "file", client.resolveUrl(this.repo, this.commit, file));
        }
        cache.markMissing(this.commit, file);
        continue;
      }
      plan.push({ file, meta, cached: existsSync(cache.blobPath(meta.etag)) });
    }
    if (plan.length === 0) return;
    const size = plan.reduce((s, p) => s + (p.cached ? 0 : p.meta.size), 0);
    this.options.onProgress?.({ stage: "plan", repo: this.repo.id, commit: this.commit, files: plan.map((p) => ({ file: p.file, size: p.meta.size, cached: p.cached })) });
    let doneBefore = 0;
    for (const { file, meta } of plan) {
      const blob = cache.blobPath(meta.etag);
      if (!existsSync(blob)) {
        await withLock(`${cache.lockDir}/${meta.etag}.rge-lock`, client.signal, () => this.options.onProgress?.({ stage: "wait", file }), async () => {
          if (existsSync(blob)) return; // another process finished it while we waited
          await downloadBlob(client, this.repo, meta, blob, ({ bytes }) =>
            this.options.onProgress?.({ stage: "download", file, fileBytes: bytes, fileSize: meta.size, bytes: doneBefore + bytes, size }),
          );
        });
        doneBefore += meta.size;
      }
      cache.link(this.commit, file, meta.etag);
    }
  }
}

/** The shard file names of a safetensors index, each checked to be a plain path inside the repo. */
function shardNames(indexJson: string): string[] {
  let map: unknown;
  try {
    map = (JSON.parse(indexJson) as { weight_map?: unknown }).weight_map;
  } catch (cause) {
    throw new CheckpointInvalidError(`${INDEX} is not valid JSON.`, { cause });
  }
  if (!map || typeof map !== "object") throw new CheckpointInvalidError(`${INDEX} has no "weight_map" object.`);
  const files = [...new Set(Object.values(map as Record<string, unknown>))];
  if (files.length === 0 || files.some((f) => typeof f !== "string")) throw new CheckpointInvalidError(`${INDEX}'s "weight_map" must map tensor names to file names.`);
  return files.map((f) => checkRepoFilePath(f as string, INDEX));
}

/** The external data files a bundle graph points to, as repo paths beside it. */
function graphDataFiles(path: string, repoPath: string): string[] {
  if (statSync(path).size > MAX_GRAPH_PARSE_BYTES) return [];
  const graph = fromBinary(ModelProtoSchema, readFileSync(path)).graph;
  if (!graph) return [];
  const folder = repoPath.includes("/") ? repoPath.slice(0, repoPath.lastIndexOf("/") + 1) : "";
  return externalDataFiles(graph).map((location) => checkRepoFilePath(`${folder}${location}`, repoPath));
}
