import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "@rge/core/testing";
import { parquetWriteFile } from "hyparquet-writer";
import { afterAll, describe, expect, it } from "vitest";
import { MmebDataError } from "../errors.js";
import { FIXTURE_ROWS, writeMmebFixture } from "../testing/mmeb-fixture.js";
import { readSubsetRows } from "./read-subset.js";

const tmp = tempDir("rge-eval-read-");
afterAll(() => tmp.remove());

describe("readSubsetRows", () => {
  it("reads the MMEB-eval parquet layout: strings and lists of strings, row by row", async () => {
    const fixture = await writeMmebFixture(join(tmp.dir, "fixture"));
    for (const [subset, rows] of Object.entries(FIXTURE_ROWS)) {
      expect(await readSubsetRows(fixture.data, subset)).toEqual(rows);
    }
  });

  it("names the missing subset folder and how to fix it", async () => {
    const err = await readSubsetRows(tmp.dir, "ImageNet-A").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MmebDataError);
    expect((err as MmebDataError).code).toBe("RGE_EVAL_DATA_INVALID");
    expect((err as Error).message).toMatch(/ImageNet-A does not exist.*--subsets/s);
  });

  it("rejects a folder without a parquet file", async () => {
    mkdirSync(join(tmp.dir, "empty", "VizWiz"), { recursive: true });
    writeFileSync(join(tmp.dir, "empty", "VizWiz", "README.md"), "");
    await expect(readSubsetRows(join(tmp.dir, "empty"), "VizWiz")).rejects.toThrow(/holds no \.parquet file/);
  });

  it("rejects a parquet file without the MMEB columns", async () => {
    mkdirSync(join(tmp.dir, "odd", "GQA"), { recursive: true });
    parquetWriteFile({ filename: join(tmp.dir, "odd", "GQA", "test.parquet"), columnData: [{ name: "question", data: ["q"], type: "STRING" }] });
    await expect(readSubsetRows(join(tmp.dir, "odd"), "GQA")).rejects.toThrow(/lacks the MMEB column\(s\) qry_text, qry_img_path, tgt_text, tgt_img_path/);
  });
});
