import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { loadRgeModel } from "@rge/core";
import { tempDir, writeTinyBundle } from "@rge/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mmebUserText, rewriteMmebText } from "../protocol/mmeb-prompt.js";
import type { MmebReport } from "../report/mmeb-report.js";
import { writeMmebFixture, type MmebFixture } from "../testing/mmeb-fixture.js";
import { evaluateMmeb, type EvaluateMmebOptions } from "./evaluate-mmeb.js";

const tmp = tempDir("rge-eval-tiny-");
let fixture: MmebFixture;
let bundle: string;
// Small pixel bounds keep the tiny model fast; the run otherwise uses MMEB's settings (small-image rule included).
const modelOptions = { maxNewTokens: 6, minPixels: 28 * 28 * 4, maxPixels: 28 * 28 * 16 };

beforeAll(async () => {
  fixture = await writeMmebFixture(join(tmp.dir, "fixture"));
  bundle = writeTinyBundle(join(tmp.dir, "bundle"), { seed: 5 }).dir;
});
afterAll(() => tmp.remove());

const comparable = (r: MmebReport) => ({ ...r, dir: undefined });

describe("evaluateMmeb on the tiny model", () => {
  it("scores every row of every subset with and without reasoning, then resumes from the cache", async () => {
    const options: EvaluateMmebOptions = {
      data: fixture.data,
      images: fixture.images,
      model: bundle,
      modelOptions,
      subsets: Object.keys(fixture.rows),
      reasoning: "both",
      out: join(tmp.dir, "out"),
    };
    const reports = await evaluateMmeb(options);
    expect(reports.map((r) => r.reasoning)).toEqual(["on", "off"]);
    for (const report of reports) {
      expect(report.failed).toEqual([]);
      expect(report.subsets.map((s) => [s.subset, s.total])).toEqual(Object.entries(fixture.rows).map(([name, rows]) => [name, rows.length]));
      for (const s of report.subsets) expect(s.accuracy).toBeGreaterThanOrEqual(0);
      expect(report.groups.find((g) => g.group === "Overall")!.finished).toBe(4);
    }
    const rationales = readFileSync(join(reports[0]!.dir, "ImageNet-1K_generated.jsonl"), "utf8").trim().split("\n");
    expect(rationales).toHaveLength(3);
    expect(["emb", "maxNewTokens"]).toContain(JSON.parse(rationales[0]!).stoppedBy);

    const cache = join(tmp.dir, "out", "cache");
    const chunks = () => readdirSync(cache, { recursive: true }).filter((f) => String(f).endsWith(".json")).length;
    const before = chunks();
    const again = await evaluateMmeb(options);
    expect(again.map(comparable)).toEqual(reports.map(comparable));
    expect(chunks()).toBe(before); // nothing was embedded again
  });

  it("sends the model the reference's user turn, placeholder expanded in place", async () => {
    const model = await loadRgeModel(bundle, modelOptions);
    const row = fixture.rows["ImageNet-1K"]![0]!;
    const userText = mmebUserText(rewriteMmebText("ImageNet-1K", "query", row.qry_text), row.qry_img_path);
    const prompt = await model.preparePrompt({ rawUserText: userText, image: join(fixture.images, row.qry_img_path) });
    const folded = prompt.text.replace(/(<\|image_pad\|>)+/g, "<|image_pad|>");
    // (The tiny tokenizer drops the newline after the role name when decoding; the ids keep it.)
    expect(folded).toContain(
      "user<|vision_start|><|image_pad|><|vision_end|>\nIdentify the category of the main object in the given image for classification\n<|im_end|>",
    );
    await model.dispose();
  });
});
