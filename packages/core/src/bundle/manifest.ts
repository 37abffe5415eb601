import { BundleMismatchError } from "../errors.js";

/** Current version of the bundle layout this runtime reads and the converter writes. */
export const BUNDLE_FORMAT_VERSION = 1;
export const MANIFEST_FILE = "rge.json";

/** What `rge convert` writes into `source.producer`. */
export const CONVERTER_PRODUCER = "@rge/core convert";

/**
 * Version of the graphs the converter writes per dtype, raised when a dtype's graphs change in a way worth
 * converting again for (a dtype not listed is at 1). q8 2: `MatMulInteger` with int8 activations per token, where
 * 1 was 8-bit `MatMulNBits` (0.6x the prefill speed of fp32 on CPUs without VNNI).
 */
export const CONVERTER_GRAPH_VERSIONS: Readonly<Record<string, number>> = { q8: 2 };

/** The converter's current graph version for `dtype`. */
export function converterGraphVersion(dtype: string): number {
  return CONVERTER_GRAPH_VERSIONS[dtype] ?? 1;
}

/**
 * True when `rge convert` wrote the bundle's `dtype` graphs with an older graph version than this converter's:
 * they still load and give embeddings, but converting again gives the current, faster graphs.
 */
export function hasOutdatedGraphs(manifest: RgeManifest, dtype: string): boolean {
  if (manifest.source?.producer !== CONVERTER_PRODUCER) return false; // not ours: nothing to compare
  return (manifest.source.graphVersions?.[dtype] ?? 1) < converterGraphVersion(dtype);
}

/**
 * `rge.json`: what the runtime must not guess about a bundle. Everything else (shapes, token ids of the
 * chat template) comes from the Hugging Face configs beside it.
 */
export interface RgeManifest {
  format: "rge-bundle";
  formatVersion: number;
  /** Model family of the graphs; only `qwen2_5_vl` exists today. */
  architecture: "qwen2_5_vl";
  /** The token that ends a rationale and marks where the embedding is read. */
  embToken: string;
  embTokenId: number;
  /** Length of the embedding vectors (the decoder's hidden size). */
  embeddingDim: number;
  /** Default rationale budget, counting the final `<emb>` (reference: 128). */
  maxNewTokens: number;
  /** dtypes whose graph files are present, e.g. `["fp32", "q8"]`. */
  dtypes: string[];
  /**
   * Where the bundle came from, for humans; `graphVersions` (the converter's graph version per dtype written,
   * absent before graph versions existed) lets a cache tell bundles worth converting again.
   */
  source?: { checkpoint?: string; producer?: string; createdAt?: string; graphVersions?: Record<string, number> };
}

export function parseManifest(json: unknown, where: string): RgeManifest {
  const m = json as Partial<RgeManifest> | null;
  const fail = (what: string): never => {
    throw new BundleMismatchError(`${where}: ${what}. Re-create the bundle with \`rge convert\`.`);
  };
  if (!m || typeof m !== "object") fail("expected a JSON object");
  if (m!.format !== "rge-bundle") fail(`"format" must be "rge-bundle", found ${JSON.stringify(m!.format)}`);
  if (m!.formatVersion !== BUNDLE_FORMAT_VERSION) {
    fail(`this runtime reads bundle format ${BUNDLE_FORMAT_VERSION}, the bundle has ${JSON.stringify(m!.formatVersion)}`);
  }
  if (m!.architecture !== "qwen2_5_vl") fail(`unsupported architecture ${JSON.stringify(m!.architecture)}`);
  if (typeof m!.embToken !== "string" || !m!.embToken) fail(`"embToken" must be a non-empty string`);
  for (const key of ["embTokenId", "embeddingDim", "maxNewTokens"] as const) {
    if (!Number.isInteger(m![key]) || (m![key] as number) <= 0) fail(`"${key}" must be a positive integer`);
  }
  if (!Array.isArray(m!.dtypes) || m!.dtypes.length === 0) fail(`"dtypes" must list at least one dtype`);
  return m as RgeManifest;
}
