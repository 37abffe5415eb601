import { writeSubsetParquet, type MmebRow } from "@rge/eval";
import { demoHeldout } from "./metrics.js";

/** The subset name of the mini benchmark (outside MMEB's 36: rge-eval scores it and leaves it out of the groups). */
export const DEMO_SUBSET = "DemoTwoHop";

/** One row as MMEB-eval publishes them: the query, and its candidates with the positive first. */
export type DemoBenchmarkRow = MmebRow;

/**
 * The held-out questions as MMEB rows: the question with the library's default query instruction, and every
 * candidate (the positive first) with the default target instruction, so the prompts are those of training.
 */
export function demoBenchmarkRows(limit?: number): DemoBenchmarkRow[] {
  const heldout = demoHeldout();
  const candidate = (answer: string) => `${heldout.target_instruction} ${answer}`;
  return heldout.queries.slice(0, limit).map((q) => ({
    qry_text: `${heldout.query_instruction} ${q.text}`,
    qry_img_path: "",
    tgt_text: [q.answer, ...heldout.candidates.filter((c) => c !== q.answer)].map(candidate),
    tgt_img_path: heldout.candidates.map(() => ""),
  }));
}

/**
 * Writes the mini benchmark in the layout `rge-eval --data` reads: `<dataDir>/DemoTwoHop/test-00000-of-00001.parquet`
 * (no images: pass any folder as `--images`). Returns the parquet file's path.
 *
 * @example
 * writeDemoBenchmark("./demo-mmeb");
 * // npx rge-eval --data ./demo-mmeb --images ./demo-mmeb --model <bundle> --subsets DemoTwoHop --reasoning both
 */
export function writeDemoBenchmark(dataDir: string, limit?: number): string {
  return writeSubsetParquet(dataDir, DEMO_SUBSET, demoBenchmarkRows(limit));
}
