import { existsSync } from "node:fs";
import { join } from "node:path";
import { MMEB_IMAGE_TOKEN, mmebUserText, rewriteMmebText } from "../protocol/mmeb-prompt.js";
import type { MmebRow } from "./read-subset.js";

/** A unique query or candidate of a subset: the rewritten text and image the reference keys embeddings by. */
export interface MmebItem {
  /** Rewritten MMEB text (rules applied, trailing newline), placeholder still `<|image_1|>`. */
  text: string;
  /** Image path relative to the image folder; "" for none. */
  imagePath: string;
  /** The user turn sent to the model (Qwen's vision tokens in place of the placeholder). */
  userText: string;
}

/** A row reduced to indices into the subset's unique queries and targets. */
export interface PreparedRow {
  /** Position of the row in the subset's parquet data. */
  index: number;
  query: number;
  /** Candidate 0 is the positive. */
  candidates: number[];
}

/** A subset ready to embed: unique items (first-appearance order), rows, and the rows that cannot be scored. */
export interface PreparedSubset {
  name: string;
  rowCount: number;
  rows: PreparedRow[];
  queries: MmebItem[];
  targets: MmebItem[];
  /** Row index → why it cannot be scored. */
  badRows: Map<number, string>;
}

/**
 * Applies the RGE prompt protocol to every row, deduplicates queries and candidates by (rewritten text, image
 * path) as the reference does, and finds rows that cannot be scored: no candidates, lists of different lengths,
 * a positive with neither text nor image, an image file that is not there, or an image without its placeholder.
 */
export function prepareSubset(name: string, rows: readonly MmebRow[], imagesDir: string): PreparedSubset {
  const queries = new ItemIndex();
  const targets = new ItemIndex();
  const badRows = new Map<number, string>();
  const prepared: PreparedRow[] = [];
  const imageExists = memo((p: string) => existsSync(join(imagesDir, p)));
  rows.forEach((row, index) => {
    const problem = rowProblem(row, imageExists);
    if (problem) {
      badRows.set(index, problem);
      return;
    }
    const query = queries.add(rewriteMmebText(name, "query", row.qry_text), row.qry_img_path);
    const candidates = row.tgt_text.map((t, i) => targets.add(rewriteMmebText(name, "candidate", t), row.tgt_img_path[i]!));
    prepared.push({ index, query, candidates });
  });
  return { name, rowCount: rows.length, rows: prepared, queries: queries.items, targets: targets.items, badRows };
}

function rowProblem(row: MmebRow, imageExists: (p: string) => boolean): string | undefined {
  if (row.tgt_text.length === 0) return "empty candidate list (tgt_text)";
  if (row.tgt_text.length !== row.tgt_img_path.length) {
    return `tgt_text has ${row.tgt_text.length} candidates but tgt_img_path ${row.tgt_img_path.length}`;
  }
  if (row.tgt_text[0]!.trim() === "" && row.tgt_img_path[0] === "") return "the positive (candidate 0) has neither text nor image";
  if (row.qry_text.trim() === "" && row.qry_img_path === "") return "the query has neither text nor image";
  const sides: [string, string, string][] = [
    ["query", row.qry_text, row.qry_img_path],
    ...row.tgt_text.map((t, i): [string, string, string] => [`candidate ${i}`, t, row.tgt_img_path[i]!]),
  ];
  for (const [what, text, image] of sides) {
    if (image === "") continue;
    if (!imageExists(image)) return `${what}: image ${image} not found in the image folder`;
    if (text.split(MMEB_IMAGE_TOKEN).length !== 2) return `${what}: has an image but its text holds ${MMEB_IMAGE_TOKEN} ${text.split(MMEB_IMAGE_TOKEN).length - 1} times, not once`;
  }
  return undefined;
}

class ItemIndex {
  readonly items: MmebItem[] = [];
  private readonly byKey = new Map<string, number>();

  add(text: string, imagePath: string): number {
    const key = JSON.stringify([text, imagePath]);
    let at = this.byKey.get(key);
    if (at === undefined) {
      at = this.items.push({ text, imagePath, userText: mmebUserText(text, imagePath) }) - 1;
      this.byKey.set(key, at);
    }
    return at;
  }
}

function memo<T>(f: (key: string) => T): (key: string) => T {
  const seen = new Map<string, T>();
  return (key) => {
    if (!seen.has(key)) seen.set(key, f(key));
    return seen.get(key)!;
  };
}
