import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects, parquetSchema } from "hyparquet";
import { compressors } from "hyparquet-compressors";
import { MmebDataError } from "../errors.js";

/** One row of an MMEB-eval subset, as published: a query and its own candidate list, the positive first. */
export interface MmebRow {
  qry_text: string;
  /** Relative to the image folder; "" when the query has no image. */
  qry_img_path: string;
  tgt_text: string[];
  tgt_img_path: string[];
}

export const MMEB_COLUMNS = ["qry_text", "qry_img_path", "tgt_text", "tgt_img_path"] as const;

/** The parquet files of a subset folder (`<data>/<subset>/*.parquet`), sorted; throws when there are none. */
export function subsetParquetFiles(dataDir: string, subset: string): string[] {
  const dir = join(dataDir, subset);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new MmebDataError(
      `MMEB subset folder ${dir} does not exist. --data must be the MMEB-eval folder (one folder per subset, ` +
        `e.g. ImageNet-1K/test-00000-of-00001.parquet); choose subsets that are there with --subsets.`,
    );
  }
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(".parquet"))
    .sort()
    .map((f) => join(dir, f));
  if (files.length === 0) throw new MmebDataError(`MMEB subset folder ${dir} holds no .parquet file.`);
  return files;
}

/**
 * Reads every row of a subset with hyparquet. Missing image paths (null) read as "", as the published data
 * writes them; a missing column or a value of the wrong type is an {@link MmebDataError}.
 */
export async function readSubsetRows(dataDir: string, subset: string): Promise<MmebRow[]> {
  const rows: MmebRow[] = [];
  for (const path of subsetParquetFiles(dataDir, subset)) {
    const file = await asyncBufferFromFile(path);
    const metadata = await parquetMetadataAsync(file);
    const present = new Set(parquetSchema(metadata).children.map((c) => c.element.name));
    const absent = MMEB_COLUMNS.filter((c) => !present.has(c));
    if (absent.length > 0) {
      throw new MmebDataError(`${path} lacks the MMEB column(s) ${absent.join(", ")}; found ${[...present].join(", ")}.`);
    }
    const raw = await parquetReadObjects({ file, metadata, columns: [...MMEB_COLUMNS], compressors });
    raw.forEach((r, i) => rows.push(toRow(r, `${path} row ${i}`)));
  }
  return rows;
}

function toRow(r: Record<string, unknown>, where: string): MmebRow {
  const text = (v: unknown, name: string) => {
    if (typeof v !== "string") throw new MmebDataError(`${where}: ${name} should be a string, found ${describe(v)}.`);
    return v;
  };
  const path = (v: unknown, name: string) => (v === null || v === undefined ? "" : text(v, name));
  const list = (v: unknown, name: string, item: (x: unknown, n: string) => string) => {
    if (!Array.isArray(v)) throw new MmebDataError(`${where}: ${name} should be a list, found ${describe(v)}.`);
    return v.map((x, i) => item(x, `${name}[${i}]`));
  };
  return {
    qry_text: text(r.qry_text, "qry_text"),
    qry_img_path: path(r.qry_img_path, "qry_img_path"),
    tgt_text: r.tgt_text === null ? [] : list(r.tgt_text, "tgt_text", (x, n) => (x === null ? "" : text(x, n))),
    tgt_img_path: r.tgt_img_path === null ? [] : list(r.tgt_img_path, "tgt_img_path", path),
  };
}

function describe(v: unknown): string {
  return v === null ? "null" : Array.isArray(v) ? "a list" : typeof v;
}
