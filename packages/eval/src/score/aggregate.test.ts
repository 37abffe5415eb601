import { describe, expect, it } from "vitest";
import { MMEB_SUBSETS } from "../benchmark/subsets.js";
import { aggregate, type GroupScore, type SubsetScore } from "./aggregate.js";

const score = (subset: string, accuracy: number): SubsetScore => ({ subset, accuracy, correct: 0, total: 0, skippedRows: 0 });
const byGroup = (groups: GroupScore[]) => Object.fromEntries(groups.map((g) => [g.group, g]));

describe("aggregate", () => {
  it("has the reference's 36 subsets: 10/10/12/4 by meta-task, 20 IND and 16 OOD", () => {
    const count = (f: (s: (typeof MMEB_SUBSETS)[number]) => boolean) => MMEB_SUBSETS.filter(f).length;
    expect(MMEB_SUBSETS).toHaveLength(36);
    expect(new Set(MMEB_SUBSETS.map((s) => s.name)).size).toBe(36);
    expect([count((s) => s.metaTask === "Classification"), count((s) => s.metaTask === "VQA"), count((s) => s.metaTask === "Retrieval"), count((s) => s.metaTask === "Visual Grounding")]).toEqual([10, 10, 12, 4]);
    expect(count((s) => s.distribution === "IND")).toBe(20);
    expect(MMEB_SUBSETS.filter((s) => s.distribution === "OOD").map((s) => s.name).sort()).toEqual(
      ["Place365", "ImageNet-A", "ImageNet-R", "ObjectNet", "Country211", "ScienceQA", "VizWiz", "GQA", "TextVQA", "OVEN", "FashionIQ", "EDIS", "Wiki-SS-NQ", "Visual7W-Pointing", "RefCOCO", "RefCOCO-Matching"].sort(),
    );
  });

  it("averages subsets per meta-task, IND, OOD and overall, unweighted", () => {
    // Accuracy = position / 100, so every mean is easy to work out by hand.
    const scores = MMEB_SUBSETS.map((s, i) => score(s.name, i / 100));
    const g = byGroup(aggregate(scores, MMEB_SUBSETS.map((s) => s.name)));
    expect(g.Classification!.score).toBeCloseTo(4.5); // positions 0..9
    expect(g.VQA!.score).toBeCloseTo(14.5); // 10..19
    expect(g.Retrieval!.score).toBeCloseTo(25.5); // 20..31
    expect(g["Visual Grounding"]!.score).toBeCloseTo(33.5); // 32..35
    // IND: 0-4, 10-15, 20-27, 32 → (10 + 75 + 188 + 32) / 20
    expect(g.IND!.score).toBeCloseTo(305 / 20);
    // OOD: 5-9, 16-19, 28-31, 33-35 → (35 + 70 + 118 + 102) / 16
    expect(g.OOD!.score).toBeCloseTo(325 / 16);
    expect(g.Overall!.score).toBeCloseTo(17.5);
    expect(g.Overall).toMatchObject({ finished: 36, requested: 36 });
  });

  it("counts only finished subsets, says how many were asked for, and leaves non-MMEB subsets out of every group", () => {
    const g = byGroup(aggregate([score("VizWiz", 0.5), score("MyOwnSet", 1)], ["VizWiz", "GQA", "MyOwnSet"]));
    expect(g.VQA).toEqual({ group: "VQA", score: 50, finished: 1, requested: 2 });
    expect(g.Overall).toEqual({ group: "Overall", score: 50, finished: 1, requested: 2 });
    expect(g.Classification).toEqual({ group: "Classification", score: null, finished: 0, requested: 0 });
  });
});
