import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { AbortedError } from "@rge/core";
import { tempDir } from "@rge/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MmebDataError } from "../errors.js";
import type { MmebReport } from "../report/mmeb-report.js";
import { conceptEmbedder } from "../testing/concept-embedder.js";
import { writeMmebFixture, type MmebFixture } from "../testing/mmeb-fixture.js";
import { evaluateMmeb, type EvaluateMmebOptions } from "./evaluate-mmeb.js";

const tmp = tempDir("rge-eval-run-");
let fixture: MmebFixture;
let run = 0;
beforeAll(async () => {
  fixture = await writeMmebFixture(join(tmp.dir, "fixture"));
});
afterAll(() => tmp.remove());

const options = (extra: Partial<EvaluateMmebOptions> = {}): EvaluateMmebOptions => ({
  data: fixture.data,
  images: fixture.images,
  model: conceptEmbedder(),
  subsets: ["ImageNet-1K", "HatefulMemes", "MSCOCO_t2i", "RefCOCO-Matching"],
  out: join(tmp.dir, `out-${run++}`),
  chunkSize: 2,
  ...extra,
});
const groups = (r: MmebReport) => Object.fromEntries(r.groups.map((g) => [g.group, g.score === null ? null : Number(g.score.toFixed(2))]));
const accuracies = (r: MmebReport) => Object.fromEntries(r.subsets.map((s) => [s.subset, `${s.correct}/${s.total}`]));
const comparable = (r: MmebReport) => ({ ...r, dir: undefined });

describe("evaluateMmeb", () => {
  it("counts hits as worked out by hand and groups them as the reference does", async () => {
    const [report] = await evaluateMmeb(options({ reasoning: "off" }));
    expect(report!.reasoning).toBe("off");
    expect(accuracies(report!)).toEqual({ "ImageNet-1K": "2/3", HatefulMemes: "1/2", MSCOCO_t2i: "2/3", "RefCOCO-Matching": "1/2" });
    expect(groups(report!)).toEqual({
      Classification: 58.33, // (2/3 + 1/2) / 2
      VQA: null,
      Retrieval: 66.67,
      "Visual Grounding": 50,
      IND: 61.11, // (2/3 + 1/2 + 2/3) / 3
      OOD: 50,
      Overall: 58.33,
    });
    expect(report!.failed).toEqual([]);
  });

  it("gives two reports in one run with reasoning 'both', embedding the shared candidates once", async () => {
    const embedder = conceptEmbedder();
    const opts = options({ reasoning: "both", model: embedder });
    const reports = await evaluateMmeb(opts);
    expect(reports.map((r) => r.reasoning)).toEqual(["on", "off"]);
    expect(accuracies(reports[0]!)["ImageNet-1K"]).toBe("3/3");
    expect(groups(reports[0]!).Overall).toBe(66.67);
    expect(groups(reports[1]!).Overall).toBe(58.33);
    expect(embedder.calls).toEqual({ target: 13, query: 10, "query-reasoning": 10 });
    // Files: scores in the reference's shape, rationales with reasoning, a report per mode.
    const on = reports[0]!.dir;
    expect(JSON.parse(readFileSync(join(on, "ImageNet-1K_score.json"), "utf8"))).toEqual({ acc: 1, num_correct: 3, num_pred: 3, skipped_rows: 0 });
    const rationales = readFileSync(join(on, "ImageNet-1K_generated.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(rationales).toHaveLength(3);
    expect(rationales[0]).toMatchObject({ qry_img_path: "ImageNet-1K/0.png", rationale: "thinking about 0.png", stoppedBy: "emb" });
    expect(JSON.parse(readFileSync(join(on, "report.json"), "utf8")).reasoning).toBe("on");
    expect(readFileSync(join(reports[1]!.dir, "report.md"), "utf8")).toContain("| Overall | 58.3 | 65.2 | 4/4 |");
  });

  it("resumes an aborted run from the cache, embedding nothing twice, and reports the same", async () => {
    const reference = await evaluateMmeb(options({ reasoning: "both" }));
    const out = join(tmp.dir, "resumed");
    const controller = new AbortController();
    let seen = 0;
    const first = conceptEmbedder({ onItem: () => ++seen === 15 && controller.abort() });
    await expect(evaluateMmeb(options({ reasoning: "both", out, model: first, signal: controller.signal }))).rejects.toBeInstanceOf(AbortedError);
    const second = conceptEmbedder();
    const reports = await evaluateMmeb(options({ reasoning: "both", out, model: second }));
    const embeddedFirst = first.calls.target + first.calls.query + first.calls["query-reasoning"];
    const embeddedSecond = second.calls.target + second.calls.query + second.calls["query-reasoning"];
    // The abort lands mid-chunk (chunk size 2, abort at 15): the finished chunk of 2 of 16 items is kept.
    expect(embeddedFirst).toBe(16);
    expect(embeddedSecond).toBe(33 - 16);
    expect(reports.map(comparable)).toEqual(reference.map(comparable));
    // A third run finds everything cached.
    const third = conceptEmbedder();
    await evaluateMmeb(options({ reasoning: "both", out, model: third }));
    expect(third.calls).toEqual({ target: 0, query: 0, "query-reasoning": 0 });
  });

  it.each([
    ["truncated", (text: string) => text.slice(0, text.length / 2)],
    [
      "holding an embedding of the wrong length",
      (text: string) => {
        const chunk = JSON.parse(text);
        chunk.entries[0].embedding = Buffer.from(new Float32Array(10).fill(0.01).buffer).toString("base64"); // 10 of 11 dimensions
        return JSON.stringify(chunk);
      },
    ],
  ])("warns about a cache chunk %s, naming it, re-embeds its items and reports as a clean run", async (_, corrupt) => {
    const reference = await evaluateMmeb(options({ reasoning: "both" }));
    const out = join(tmp.dir, `corrupt-${run}`);
    await evaluateMmeb(options({ reasoning: "both", out }));
    const cache = join(out, "cache");
    const targets = readdirSync(cache).map((space) => join(cache, space, "ImageNet-1K", "target")).find((dir) => existsSync(dir))!;
    const chunk = join(targets, "chunk-000001.json");
    writeFileSync(chunk, corrupt(readFileSync(chunk, "utf8")));
    const logs: string[] = [];
    const second = conceptEmbedder();
    const reports = await evaluateMmeb(options({ reasoning: "both", out, model: second, onLog: (m) => logs.push(m) }));
    expect(reports.map(comparable)).toEqual(reference.map(comparable));
    expect(logs.filter((l) => l.includes(chunk))).toEqual([expect.stringMatching(/^Discarded the embedding cache chunk .*: .*; its items are embedded again\.$/)]);
    expect(second.calls).toEqual({ target: 2, query: 0, "query-reasoning": 0 }); // the chunk's 2 items, nothing more
    // The bad chunk is gone: the next run warns about nothing and embeds nothing.
    const thirdLogs: string[] = [];
    const third = conceptEmbedder();
    await evaluateMmeb(options({ reasoning: "both", out, model: third, onLog: (m) => thirdLogs.push(m) }));
    expect(third.calls).toEqual({ target: 0, query: 0, "query-reasoning": 0 });
    expect(thirdLogs.filter((l) => l.includes("Discarded"))).toEqual([]);
  });

  it("resumes after the embedder throws, keeping the chunks finished before the failure", async () => {
    const out = join(tmp.dir, "thrown");
    await expect(evaluateMmeb(options({ reasoning: "off", out, model: conceptEmbedder({ failAfter: 7 }) }))).rejects.toThrow(/injected failure/);
    const second = conceptEmbedder();
    const [report] = await evaluateMmeb(options({ reasoning: "off", out, model: second }));
    // ImageNet-1K's 4 targets and 3 queries (7 items) finished before the throw; the rest is embedded now.
    expect(second.calls.target + second.calls.query).toBe(23 - 7);
    expect(groups(report!).Overall).toBe(58.33);
  });

  it("stops before loading anything when a subset folder is missing", async () => {
    const err = await evaluateMmeb(options({ subsets: ["ImageNet-1K", "GQA", "VizWiz"] })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MmebDataError);
    expect((err as Error).message).toMatch(/2 of 3 subsets have no folder in .*: GQA, VizWiz\. --data must be the MMEB-eval folder/);
  });

  it("reports a subset with bad rows as failed, naming the rows, and scores it without them on request", async () => {
    const root = join(tmp.dir, "bad");
    const good = fixture.rows["ImageNet-1K"]!;
    const bad = await writeMmebFixture(root, {
      "ImageNet-1K": [...good, { ...good[0]!, tgt_text: [], tgt_img_path: [] }, { ...good[1]!, tgt_text: ["", "x"], tgt_img_path: ["", ""] }],
      HatefulMemes: fixture.rows.HatefulMemes!,
    });
    rmSync(join(bad.images, "ImageNet-1K", "1.png"));
    const logs: string[] = [];
    const base = options({ data: bad.data, images: bad.images, subsets: ["ImageNet-1K", "HatefulMemes"], reasoning: "off", onLog: (m) => logs.push(m) });
    const [strict] = await evaluateMmeb(base);
    expect(strict!.subsets.map((s) => s.subset)).toEqual(["HatefulMemes"]);
    expect(strict!.failed).toHaveLength(1);
    expect(strict!.failed[0]!.problems).toEqual([
      "row 1: query: image ImageNet-1K/1.png not found in the image folder",
      "row 3: empty candidate list (tgt_text)",
      "row 4: the positive (candidate 0) has neither text nor image",
    ]);
    expect(strict!.failed[0]!.reason).toMatch(/skip-bad-rows/);
    expect(strict!.groups.find((g) => g.group === "Classification")).toMatchObject({ finished: 1, requested: 2 });
    expect(logs.some((l) => l.startsWith("ImageNet-1K [reasoning off]: FAILED"))).toBe(true);

    const [lenient] = await evaluateMmeb({ ...base, out: join(tmp.dir, "bad-out"), skipBadRows: true });
    expect(lenient!.subsets[0]).toMatchObject({ subset: "ImageNet-1K", correct: 1, total: 2, skippedRows: 3 });
    expect(lenient!.failed).toEqual([]);
  });

  it("reports items the embedder cannot embed instead of scoring around them", async () => {
    const inner = conceptEmbedder();
    const flaky = {
      ...inner,
      async embedTargets(inputs: Parameters<typeof inner.embedTargets>[0], o: Parameters<typeof inner.embedTargets>[1]) {
        const out = await inner.embedTargets(inputs, o);
        return out.map((r, i) => (inputs[i]!.userText.includes("hammerhead") ? { status: "rejected" as const, reason: new Error("bad item") } : r));
      },
    };
    const [report] = await evaluateMmeb(options({ model: flaky, subsets: ["ImageNet-1K"], reasoning: "off" }));
    expect(report!.subsets).toEqual([]);
    expect(report!.failed[0]!.problems[0]).toBe("row 0: candidate 3 failed to embed: bad item");
  });

  it("refuses wrong options with RGE_INVALID_OPTION before reading any data or loading the model", async () => {
    // The paths do not exist and the model is not a bundle: checking the data or loading first would fail differently.
    const base = { data: "/nonexistent/data", images: "/nonexistent/images", model: "/nonexistent/bundle" };
    const cases: [Partial<EvaluateMmebOptions>, string][] = [
      [{ chunkSize: 0 }, "chunkSize must be an integer ≥ 1, got 0."],
      [{ chunkSize: NaN }, "chunkSize must be an integer ≥ 1, got NaN."],
      [{ chunkSize: 1.5 }, "chunkSize must be an integer ≥ 1, got 1.5."],
      [{ reasoning: "yes" as "on" }, 'reasoning must be one of "on", "off", "both", got "yes".'],
      [{ skipBadRows: "true" as unknown as boolean }, 'skipBadRows must be true or false, got "true".'],
      [{ subsets: "ImageNet-1K" as unknown as string[] }, 'subsets must be an array of subset names, got "ImageNet-1K".'],
      [{ modelOptions: null as unknown as object }, "modelOptions must be an object of loadRgeModel options, got null."],
      [{ model: {} as EvaluateMmebOptions["model"] }, "model must be a bundle directory, a loaded RgeModel or an MmebEmbedder, got object."],
      [{ data: undefined as unknown as string }, "data must be a non-empty string, got undefined."],
    ];
    for (const [extra, message] of cases) {
      await expect(evaluateMmeb({ ...base, ...extra })).rejects.toMatchObject({ code: "RGE_INVALID_OPTION", message });
    }
  });
});
