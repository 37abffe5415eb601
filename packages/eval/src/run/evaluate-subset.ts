import { join } from "node:path";
import { EmbeddingStore } from "../cache/embedding-store.js";
import { ImageDigests, itemKey } from "../cache/item-key.js";
import type { MmebItem, PreparedSubset } from "../data/prepare-subset.js";
import { embedWithCache, type EmbedOutcome, type KeyedInput } from "../embed/embed-with-cache.js";
import type { EmbedKind, MmebEmbedder } from "../embed/embedder.js";
import { problemList } from "../errors.js";
import type { SubsetScore } from "../score/aggregate.js";
import { isHit } from "../score/precision-at-1.js";

/** With reasoning ("on") or without ("off"). */
export type ReasoningMode = "on" | "off";

/** The rationale written for one unique query. */
export interface QueryRationale {
  qry_text: string;
  qry_img_path: string;
  rationale: string;
  stoppedBy: string;
}

/** What one subset gave in one reasoning mode. */
export type SubsetOutcome =
  | { ok: true; score: SubsetScore; rationales: QueryRationale[] }
  | { ok: false; subset: string; reason: string; problems: string[] };

export interface SubsetRunSettings {
  embedder: MmebEmbedder;
  imagesDir: string;
  cacheDir: string;
  modes: readonly ReasoningMode[];
  skipBadRows: boolean;
  chunkSize: number;
  signal?: AbortSignal;
  /** Progress of one phase of this subset. */
  onPhase?: (phase: EmbedKind, done: number, total: number) => void;
  /** One-line warnings, such as a damaged cache chunk that was discarded. */
  onLog?: (message: string) => void;
}

/** Embeds (through the cache) and scores one prepared subset in every requested mode. */
export async function evaluateSubset(subset: PreparedSubset, settings: SubsetRunSettings): Promise<Map<ReasoningMode, SubsetOutcome>> {
  const { modes, skipBadRows } = settings;
  const results = new Map<ReasoningMode, SubsetOutcome>();
  const dataProblems = [...subset.badRows].map(([row, why]) => `row ${row}: ${why}`);
  if (dataProblems.length > 0 && !skipBadRows) {
    for (const mode of modes) results.set(mode, failure(subset.name, dataProblems, "has rows that cannot be scored"));
    return results;
  }
  const digests = new ImageDigests();
  const keyed = (items: MmebItem[]): KeyedInput[] =>
    items.map((item) => {
      const image = item.imagePath === "" ? undefined : join(settings.imagesDir, item.imagePath);
      return { userText: item.userText, ...(image ? { image } : {}), key: itemKey(item.userText, digests.of(image)) };
    });
  const embed = (items: KeyedInput[], kind: EmbedKind) =>
    embedWithCache(items, {
      embedder: settings.embedder,
      kind,
      store: EmbeddingStore.open(settings.cacheDir, settings.embedder.cacheIdentity(kind), subset.name, kind, {
        ...(settings.onLog ? { onWarning: settings.onLog } : {}),
      }),
      chunkSize: settings.chunkSize,
      ...(settings.signal ? { signal: settings.signal } : {}),
      onChunk: (done, total) => settings.onPhase?.(kind, done, total),
    });
  const queryInputs = keyed(subset.queries);
  const targets = await embed(keyed(subset.targets), "target");
  for (const mode of modes) {
    const queries = await embed(queryInputs, mode === "on" ? "query-reasoning" : "query");
    results.set(mode, score(subset, queries, targets, dataProblems, skipBadRows));
  }
  return results;
}

function score(subset: PreparedSubset, queries: EmbedOutcome[], targets: EmbedOutcome[], dataProblems: string[], skipBadRows: boolean): SubsetOutcome {
  const problems = [...dataProblems];
  let correct = 0;
  let total = 0;
  for (const row of subset.rows) {
    const q = queries[row.query]!;
    const failedCandidate = row.candidates.find((c) => !targets[c]!.ok);
    if (!q.ok) problems.push(`row ${row.index}: query failed to embed: ${q.error}`);
    else if (failedCandidate !== undefined) {
      const t = targets[failedCandidate] as { ok: false; error: string };
      problems.push(`row ${row.index}: candidate ${row.candidates.indexOf(failedCandidate)} failed to embed: ${t.error}`);
    } else {
      total++;
      if (isHit(q.value.embedding, row.candidates.map((c) => (targets[c] as { ok: true; value: { embedding: Float32Array } }).value.embedding))) correct++;
    }
  }
  if (problems.length > dataProblems.length && !skipBadRows) return failure(subset.name, problems, "has items that failed to embed");
  if (total === 0) return failure(subset.name, problems, "has no row that can be scored");
  const rationales = subset.queries.flatMap((item, i) => {
    const q = queries[i]!;
    if (!q.ok || q.value.rationale === undefined) return [];
    return [{ qry_text: item.text, qry_img_path: item.imagePath, rationale: q.value.rationale, stoppedBy: q.value.stoppedBy ?? "" }];
  });
  return {
    ok: true,
    score: { subset: subset.name, accuracy: correct / total, correct, total, skippedRows: subset.rowCount - total },
    rationales,
  };
}

function failure(subset: string, problems: string[], what: string): SubsetOutcome {
  const reason = `${subset} ${what} (${problems.length}):\n${problemList(problems)}`;
  return { ok: false, subset, reason, problems };
}
