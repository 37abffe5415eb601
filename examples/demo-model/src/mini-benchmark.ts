import { cpSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { writeSubsetParquet, type MmebRow } from "@rge/eval";
import { DEMO_MODEL_DIR } from "./demo-model.js";
import { demoHeldout, type DemoImageTaskName } from "./metrics.js";

/** The subset of the two-hop text task (outside MMEB's 36: rge-eval scores it and leaves it out of the groups). */
export const DEMO_SUBSET = "DemoTwoHop";

/** Every subset of the mini benchmark: the two-hop text task, then the two badge tasks with images. */
export const DEMO_SUBSETS = [DEMO_SUBSET, "DemoBadgeTwoHop", "DemoBadgeProfile"] as const;

/** A subset of the mini benchmark. */
export type DemoSubset = (typeof DEMO_SUBSETS)[number];

/** One row as MMEB-eval publishes them: the query, and its candidates with the positive first. */
export type DemoBenchmarkRow = MmebRow;

/**
 * The `rge-eval` flags the mini benchmark needs beyond MMEB's: the checkpoint's own pixel bounds (its badges are
 * 28x28, one visual token, as trained), in place of the reference's MMEB bounds (256 to 1024 tokens per image).
 */
export function demoEvalFlags(): string[] {
  const config = JSON.parse(readFileSync(join(DEMO_MODEL_DIR, "checkpoint", "preprocessor_config.json"), "utf8")) as { min_pixels: number; max_pixels: number };
  return ["--min-pixels", String(config.min_pixels), "--max-pixels", String(config.max_pixels)];
}

/** MMEB's image placeholder, which rge-eval turns into Qwen's vision tokens (first in the user turn, as in training). */
const MMEB_IMAGE = "<|image_1|>";

/**
 * The held-out queries of one subset as MMEB rows: the query with the instruction the library's
 * `DEFAULT_INSTRUCTIONS` give its kind of input (text, image and text, image), and every candidate (the positive
 * first) with the default target instruction, so the prompts are those of training. Image paths are relative to
 * the model directory (`badges/maya.png`), the folder {@link writeDemoBenchmark} copies them into.
 */
export function demoBenchmarkRows(subset: DemoSubset = DEMO_SUBSET, limit?: number): DemoBenchmarkRow[] {
  const heldout = demoHeldout();
  const task =
    subset === DEMO_SUBSET
      ? { ...heldout, queries: heldout.queries.map((q) => ({ ...q, image: "" })) }
      : heldout.image_tasks[subset satisfies DemoImageTaskName];
  const candidate = (answer: string) => `${task.target_instruction} ${answer}`;
  return task.queries.slice(0, limit).map((q) => {
    const text = [task.query_instruction, q.text].filter(Boolean).join(" ");
    return {
      qry_text: q.image ? `${MMEB_IMAGE}\n${text}` : text,
      qry_img_path: q.image,
      tgt_text: [q.answer, ...task.candidates.filter((c) => c !== q.answer)].map(candidate),
      tgt_img_path: task.candidates.map(() => ""),
    };
  });
}

/**
 * Writes the mini benchmark in the layout `rge-eval --data` reads, one `<dataDir>/<subset>/test-00000-of-00001.parquet`
 * per subset, and copies the badges to `<dataDir>/badges/`, so `dataDir` is also the `--images` folder.
 * Returns each subset's parquet file.
 *
 * @example
 * writeDemoBenchmark("./demo-mmeb");
 * // npx rge-eval --data ./demo-mmeb --images ./demo-mmeb --model <bundle> --subsets DemoTwoHop,DemoBadgeTwoHop,DemoBadgeProfile \
 * //   --reasoning both --min-pixels 784 --max-pixels 200704     (demoEvalFlags())
 */
export function writeDemoBenchmark(dataDir: string, limit?: number): Record<DemoSubset, string> {
  cpSync(join(DEMO_MODEL_DIR, "badges"), join(dataDir, "badges"), { recursive: true });
  const files = DEMO_SUBSETS.map((subset) => [subset, writeSubsetParquet(dataDir, subset, demoBenchmarkRows(subset, limit))]);
  return Object.fromEntries(files) as Record<DemoSubset, string>;
}
