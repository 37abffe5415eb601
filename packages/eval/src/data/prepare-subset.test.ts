import { tempDir } from "@rge/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { QWEN_VISION_PLACEHOLDER as V } from "../protocol/mmeb-prompt.js";
import { writeMmebFixture, type MmebFixture } from "../testing/mmeb-fixture.js";
import { prepareSubset } from "./prepare-subset.js";
import type { MmebRow } from "./read-subset.js";

const tmp = tempDir("rge-eval-prepare-");
let fixture: MmebFixture;
beforeAll(async () => {
  fixture = await writeMmebFixture(tmp.dir);
});
afterAll(() => tmp.remove());

describe("prepareSubset", () => {
  it("deduplicates queries and candidates by rewritten text and image, in first-appearance order", () => {
    const p = prepareSubset("ImageNet-1K", fixture.rows["ImageNet-1K"]!, fixture.images);
    expect(p.queries).toHaveLength(3); // same text, three images
    expect(p.targets.map((t) => t.text)).toEqual(
      ["tench", "goldfinch", "tiger shark", "hammerhead"].map((l) => `Summarize the following object category in one word: ${l}\n`),
    );
    expect(p.rows.map((r) => r.candidates)).toEqual([[0, 1, 2, 3], [1, 0, 2, 3], [2, 0, 1, 3]]);
    expect(p.queries[0]!.userText).toBe(`${V}\nIdentify the category of the main object in the given image for classification\n`);
    expect(p.badRows.size).toBe(0);
  });

  it("keys image candidates by path, so one text with many images gives many targets", () => {
    const p = prepareSubset("MSCOCO_t2i", fixture.rows.MSCOCO_t2i!, fixture.images);
    expect(p.targets).toHaveLength(3);
    expect(new Set(p.targets.map((t) => t.userText))).toEqual(new Set([`${V}\nSummarize the given image in one word.\n`]));
    expect(p.queries[0]!.userText).toBe("Describe and represent the following descriptive caption for everyday image retrieval: A dog runs on the beach.\n");
  });

  it("finds every kind of row that cannot be scored", () => {
    const ok = fixture.rows["ImageNet-1K"]![0]!;
    const rows: MmebRow[] = [
      ok,
      { ...ok, tgt_text: [], tgt_img_path: [] },
      { ...ok, tgt_img_path: ["", ""] },
      { ...ok, tgt_text: ["", "b"], tgt_img_path: ["", ""] },
      { ...ok, qry_img_path: "ImageNet-1K/nope.png" },
      { ...ok, qry_text: "no placeholder" },
      { ...ok, qry_text: "", qry_img_path: "" },
    ];
    const p = prepareSubset("ImageNet-1K", rows, fixture.images);
    expect(p.rows.map((r) => r.index)).toEqual([0]);
    expect([...p.badRows]).toEqual([
      [1, "empty candidate list (tgt_text)"],
      [2, "tgt_text has 4 candidates but tgt_img_path 2"],
      [3, "the positive (candidate 0) has neither text nor image"],
      [4, "query: image ImageNet-1K/nope.png not found in the image folder"],
      [5, "query: has an image but its text holds <|image_1|> 0 times, not once"],
      [6, "the query has neither text nor image"],
    ]);
  });
});
