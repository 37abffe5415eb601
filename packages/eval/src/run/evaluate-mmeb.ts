import { existsSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { loadRgeModel, RgeModel, type LoadRgeModelOptions } from "@rge/core";
import { findSubset, MMEB_SUBSETS } from "../benchmark/subsets.js";
import { prepareSubset } from "../data/prepare-subset.js";
import { readSubsetRows, subsetParquetFiles } from "../data/read-subset.js";
import type { EmbedKind, MmebEmbedder } from "../embed/embedder.js";
import { rgeModelEmbedder } from "../embed/rge-model-embedder.js";
import { MmebDataError, problemList } from "../errors.js";
import type { MmebReport, SubsetFailure } from "../report/mmeb-report.js";
import { writeRationales, writeReport, writeSubsetScore } from "../report/write-report.js";
import { aggregate, type SubsetScore } from "../score/aggregate.js";
import { checkEvaluateMmebOptions } from "./check-evaluate-options.js";
import { evaluateSubset, type ReasoningMode } from "./evaluate-subset.js";
import { MMEB_MODEL_OPTIONS } from "./model-options.js";

/** Options of {@link evaluateMmeb}. */
export interface EvaluateMmebOptions {
  /** The MMEB-eval folder: one folder per subset holding its parquet file (`ImageNet-1K/test-00000-of-00001.parquet`). */
  data: string;
  /** The folder the rows' image paths are relative to (MMEB's unpacked `images.zip`). */
  images: string;
  /**
   * A bundle directory (loaded with {@link MMEB_MODEL_OPTIONS}), a loaded `RgeModel` (its own pixel settings apply,
   * and the cache cannot see them: use a fresh `cacheDir` when you change them), or any {@link MmebEmbedder}.
   */
  model: string | RgeModel | MmebEmbedder;
  /** `loadRgeModel` options when `model` is a path, over {@link MMEB_MODEL_OPTIONS}. Default: none. */
  modelOptions?: LoadRgeModelOptions;
  /** Subsets to run, by MMEB-eval folder name. Default: all 36. */
  subsets?: readonly string[];
  /** Embed queries with reasoning ("on", the default), without ("off"), or both in one run (targets shared). */
  reasoning?: "on" | "off" | "both";
  /** Where reports go: `<out>/reasoning-on/`, `<out>/reasoning-off/`. Default "rge-eval-out". */
  out?: string;
  /** Embedding cache, which lets an interrupted run resume. Default `<out>/cache`. */
  cacheDir?: string;
  /** Score a subset without its bad rows (and report how many) instead of failing it. Default false. */
  skipBadRows?: boolean;
  /** Items per embedder call and per cache chunk. Default 32. */
  chunkSize?: number;
  /** Stops the run; finished chunks stay cached. */
  signal?: AbortSignal;
  /** Progress of each phase (targets, queries) of each subset. */
  onProgress?: (event: MmebProgress) => void;
  /** One-line messages: subset results and failures, and damaged cache chunks discarded (named). Default: none. */
  onLog?: (message: string) => void;
}

/** One progress update: `done` of `total` items still to embed in this phase of this subset. */
export interface MmebProgress {
  subset: string;
  /** 0-based position of the subset in the run. */
  subsetIndex: number;
  subsetCount: number;
  phase: EmbedKind;
  done: number;
  total: number;
}

/**
 * Runs the MMEB evaluation: reads each subset's parquet file, applies the RGE prompt protocol, embeds the
 * deduplicated candidates and the queries (with reasoning, without, or both) through an on-disk cache, counts a
 * hit when candidate 0 ranks first, and writes per-subset scores, rationales and a report per reasoning mode.
 *
 * @example
 * const [report] = await evaluateMmeb({ data: "MMEB-eval", images: "MMEB-eval/eval_images", model: "./rge-bundle" });
 * console.log(report.groups.find((g) => g.group === "Overall")?.score);
 *
 * A wrong option (e.g. `chunkSize: 0`, `reasoning: "yes"`) rejects with `InvalidOptionError` before anything is read.
 */
export async function evaluateMmeb(options: EvaluateMmebOptions): Promise<MmebReport[]> {
  checkEvaluateMmebOptions(options);
  const subsets = [...(options.subsets ?? MMEB_SUBSETS.map((s) => s.name))];
  const modes: ReasoningMode[] = options.reasoning === "both" ? ["on", "off"] : [options.reasoning ?? "on"];
  const out = resolve(options.out ?? "rge-eval-out");
  const log = options.onLog ?? (() => {});
  checkData(options.data, options.images, subsets);
  const { embedder, dispose } = await openEmbedder(options);
  const scores = new Map<ReasoningMode, SubsetScore[]>(modes.map((m) => [m, []]));
  const failed = new Map<ReasoningMode, SubsetFailure[]>(modes.map((m) => [m, []]));
  try {
    for (const [subsetIndex, name] of subsets.entries()) {
      const fail = (reason: string, problems: string[] = []) => {
        log(`${name}: FAILED ${reason}`);
        for (const mode of modes) failed.get(mode)!.push({ subset: name, reason, problems });
      };
      if (!findSubset(name)) log(`${name} is not an MMEB subset: no prompt rewrites apply, and it counts in no group.`);
      let prepared;
      try {
        prepared = prepareSubset(name, await readSubsetRows(options.data, name), options.images);
      } catch (error) {
        if (!(error instanceof MmebDataError)) throw error;
        fail(error.message, error.problems);
        continue;
      }
      const outcomes = await evaluateSubset(prepared, {
        embedder,
        imagesDir: options.images,
        cacheDir: resolve(options.cacheDir ?? join(out, "cache")),
        modes,
        skipBadRows: options.skipBadRows ?? false,
        chunkSize: options.chunkSize ?? 32,
        ...(options.signal ? { signal: options.signal } : {}),
        onPhase: (phase, done, total) => options.onProgress?.({ subset: name, subsetIndex, subsetCount: subsets.length, phase, done, total }),
        onLog: log,
      });
      for (const [mode, outcome] of outcomes) {
        const dir = modeDir(out, mode);
        if (!outcome.ok) {
          const hint = options.skipBadRows ? "" : "\nFix the data, or pass skipBadRows (--skip-bad-rows) to score the other rows.";
          log(`${name} [reasoning ${mode}]: FAILED ${outcome.reason}${hint}`);
          failed.get(mode)!.push({ subset: name, reason: outcome.reason + hint, problems: outcome.problems });
          continue;
        }
        writeSubsetScore(dir, outcome.score);
        if (mode === "on") writeRationales(dir, name, outcome.rationales);
        scores.get(mode)!.push(outcome.score);
        const s = outcome.score;
        log(`${name} [reasoning ${mode}]: ${(s.accuracy * 100).toFixed(1)} (${s.correct}/${s.total}${s.skippedRows ? `, ${s.skippedRows} rows skipped` : ""})`);
      }
    }
  } finally {
    await dispose();
  }
  return modes.map((mode) => {
    const report: MmebReport = {
      reasoning: mode,
      subsets: scores.get(mode)!,
      groups: aggregate(scores.get(mode)!, subsets),
      failed: failed.get(mode)!,
      dir: modeDir(out, mode),
    };
    writeReport(report);
    return report;
  });
}

/** `<out>/reasoning-on` or `<out>/reasoning-off`. */
export function modeDir(out: string, mode: ReasoningMode): string {
  return join(out, `reasoning-${mode}`);
}

function checkData(data: string, images: string, subsets: readonly string[]): void {
  if (subsets.length === 0) throw new MmebDataError("No subsets to evaluate; name at least one.");
  if (!existsSync(images) || !statSync(images).isDirectory()) {
    throw new MmebDataError(`The image folder ${images} does not exist; --images must be where MMEB's images.zip was unpacked.`);
  }
  const missing = subsets.filter((name) => !existsSync(join(data, name)));
  if (missing.length > 0) {
    throw new MmebDataError(
      `${missing.length} of ${subsets.length} subsets have no folder in ${data}: ${missing.join(", ")}. --data must be the ` +
        `MMEB-eval folder (one folder per subset, e.g. ImageNet-1K/test-00000-of-00001.parquet); choose the subsets ` +
        `that are there with --subsets.`,
      missing.map((name) => `${join(data, name)} does not exist`),
    );
  }
  const problems: string[] = [];
  for (const name of subsets) {
    try {
      subsetParquetFiles(data, name);
    } catch (error) {
      if (!(error instanceof MmebDataError)) throw error;
      problems.push(error.message);
    }
  }
  if (problems.length > 0) {
    throw new MmebDataError(`${problems.length} of ${subsets.length} subsets cannot be read from ${data}:\n${problemList(problems)}`, problems);
  }
}

async function openEmbedder(options: EvaluateMmebOptions): Promise<{ embedder: MmebEmbedder; dispose: () => Promise<void> }> {
  const { model } = options;
  if (typeof model === "string") {
    const settings = { ...MMEB_MODEL_OPTIONS, ...options.modelOptions };
    const loaded = await loadRgeModel(model, settings);
    const { minPixels, maxPixels, smallImageRule } = settings;
    return { embedder: rgeModelEmbedder(loaded, { minPixels, maxPixels, smallImageRule }), dispose: () => loaded.dispose() };
  }
  if (model instanceof RgeModel) return { embedder: rgeModelEmbedder(model), dispose: async () => {} };
  return { embedder: model, dispose: async () => {} };
}
