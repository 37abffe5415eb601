import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { gradientPng } from "@rge/core/testing";
import type { MmebRow } from "../data/read-subset.js";
import { writeSubsetParquet } from "../data/write-subset.js";

const CLASSIFY = "<|image_1|>\nRepresent the given image for classification\n";
const labels = ["tench", "goldfinch", "tiger shark", "hammerhead"];

/**
 * A handful of rows per subset in MMEB-eval's layout, one subset per kind of rewrite rule: `prefixAdd`
 * (ImageNet-1K candidates), `original` → `replacement` (every query; MSCOCO_t2i's image candidates), `valueMap`
 * (HatefulMemes) and the query-style candidate rewrite (RefCOCO-Matching). Texts are the MMEB wordings.
 */
export const FIXTURE_ROWS: Readonly<Record<string, MmebRow[]>> = {
  "ImageNet-1K": [0, 1, 2].map((i) => ({
    qry_text: CLASSIFY,
    qry_img_path: `ImageNet-1K/${i}.png`,
    tgt_text: [labels[i]!, ...labels.filter((_, j) => j !== i)],
    tgt_img_path: ["", "", "", ""],
  })),
  HatefulMemes: [0, 1].map((i) => ({
    qry_text: "<|image_1|>\nRepresent the given image for binary classification to determine whether it constitutes hateful speech or not",
    qry_img_path: `HatefulMemes/${i}.png`,
    tgt_text: i === 0 ? ["Yes", "No"] : ["No", "Yes"],
    tgt_img_path: ["", ""],
  })),
  MSCOCO_t2i: ["A dog runs on the beach.", "Two cats sleep on a red sofa.", "A dog sniffs a bowl of fruit."].map((caption, i) => ({
    qry_text: `Find me an everyday image that matches the given caption: ${caption}`,
    qry_img_path: "",
    tgt_text: [0, 1, 2].map(() => "<|image_1|>\nRepresent the given image."),
    tgt_img_path: [0, 1, 2].map((j) => `MSCOCO_t2i/${(i + j) % 3}.png`),
  })),
  "RefCOCO-Matching": [0, 1].map((i) => ({
    qry_text: `<|image_1|>\nSelect the portion of the image that follows the language expressions: ${i ? "left man" : "red cup"}`,
    qry_img_path: `RefCOCO-Matching/q${i}.png`,
    tgt_text: ["red cup", "left man"].map((e) => `<|image_1|>\nSelect the portion of the image that follows the language expressions: ${e}`),
    tgt_img_path: [`RefCOCO-Matching/c${i}.png`, `RefCOCO-Matching/c${1 - i}.png`],
  })),
};

/** Where {@link writeMmebFixture} put the data. */
export interface MmebFixture {
  data: string;
  images: string;
  rows: Record<string, MmebRow[]>;
}

/**
 * Writes an MMEB-format fixture under `root`: `data/<subset>/test-00000-of-00001.parquet` and generated PNGs
 * under `images/` for every path the rows name (one, 20 px wide, is under the 28 px minimum).
 */
export async function writeMmebFixture(root: string, rows: Record<string, MmebRow[]> = structuredClone(FIXTURE_ROWS) as Record<string, MmebRow[]>): Promise<MmebFixture> {
  const data = join(root, "data");
  const images = join(root, "images");
  const paths = new Set<string>();
  for (const [subset, subsetRows] of Object.entries(rows)) {
    writeSubsetParquet(data, subset, subsetRows);
    for (const r of subsetRows) for (const p of [r.qry_img_path, ...r.tgt_img_path]) if (p) paths.add(p);
  }
  let tint = 0;
  for (const p of [...paths].sort()) {
    const file = join(images, p);
    mkdirSync(dirname(file), { recursive: true });
    const thin = p === "ImageNet-1K/2.png";
    writeFileSync(file, await gradientPng(thin ? 20 : 40 + (tint % 3) * 12, 44, (tint += 37)));
  }
  return { data, images, rows };
}
