import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { parquetWriteFile } from "hyparquet-writer";
import type { MmebRow } from "./read-subset.js";

const text = (name: string) => ({ name, type: "BYTE_ARRAY" as const, converted_type: "UTF8" as const, repetition_type: "OPTIONAL" as const });
const list = (name: string) => [
  { name, repetition_type: "OPTIONAL" as const, converted_type: "LIST" as const, num_children: 1 },
  { name: "list", repetition_type: "REPEATED" as const, num_children: 1 },
  text("element"),
];

/**
 * Writes rows as MMEB-eval publishes them: `<data>/<subset>/test-00000-of-00001.parquet`, strings and lists of
 * strings (parquet LIST of UTF8, as Hugging Face datasets writes them), snappy-compressed. The layout
 * `readSubsetRows` and `rge-eval --data` read, for benchmarks of your own. Returns the file's path.
 *
 * @example
 * writeSubsetParquet("./my-mmeb", "MyTask", [{ qry_text: "Find: a cat", qry_img_path: "", tgt_text: ["a cat", "a dog"], tgt_img_path: ["", ""] }]);
 * // npx rge-eval --data ./my-mmeb --images ./my-mmeb --model <bundle> --subsets MyTask
 */
export function writeSubsetParquet(dataDir: string, subset: string, rows: readonly MmebRow[]): string {
  const dir = join(dataDir, subset);
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
