import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { parquetWriteFile } from "hyparquet-writer";
import { demoHeldout } from "./metrics.js";

/** The subset name of the mini benchmark (outside MMEB's 36: rge-eval scores it and leaves it out of the groups). */
export const DEMO_SUBSET = "DemoTwoHop";

/** One row as MMEB-eval publishes them: the query, and its candidates with the positive first. */
export interface DemoBenchmarkRow {
  qry_text: string;
  qry_img_path: string;
  tgt_text: string[];
  tgt_img_path: string[];
}

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

const text = (name: string) => ({ name, type: "BYTE_ARRAY" as const, converted_type: "UTF8" as const, repetition_type: "OPTIONAL" as const });
const list = (name: string) => [
  { name, repetition_type: "OPTIONAL" as const, converted_type: "LIST" as const, num_children: 1 },
  { name: "list", repetition_type: "REPEATED" as const, num_children: 1 },
  text("element"),
];

/**
 * Writes the mini benchmark in the layout `rge-eval --data` reads: `<dataDir>/DemoTwoHop/test-00000-of-00001.parquet`
 * (no images: pass any folder as `--images`). Returns the parquet file's path.
 *
 * @example
 * writeDemoBenchmark("./demo-mmeb");
 * // npx rge-eval --data ./demo-mmeb --images ./demo-mmeb --model <bundle> --subsets DemoTwoHop --reasoning both
 */
export function writeDemoBenchmark(dataDir: string, limit?: number): string {
  const rows = demoBenchmarkRows(limit);
  const dir = join(dataDir, DEMO_SUBSET);
  mkdirSync(dir, { recursive: true });
  const filename = join(dir, "test-00000-of-00001.parquet");
  parquetWriteFile({
    filename,
    schema: [{ name: "schema", num_children: 4 }, text("qry_text"), text("qry_img_path"), ...list("tgt_text"), ...list("tgt_img_path")],
    columnData: [
      { name: "qry_text", data: rows.map((r) => r.qry_text) },
      { name: "qry_img_path", data: rows.map((r) => r.qry_img_path) },
      { name: "tgt_text", data: rows.map((r) => r.tgt_text) },
      { name: "tgt_img_path", data: rows.map((r) => r.tgt_img_path) },
    ],
  });
  return filename;
}
