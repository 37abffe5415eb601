import type { GroupScore } from "../score/aggregate.js";

/**
 * The paper's MMEB figures for Qwen2.5-VL-3B (RGE's results table, `assets/results.png` in MCG-NJU/RGE): RGE with
 * reasoning, and the same backbone trained without it.
 */
export const PAPER_RESULTS: Readonly<Record<"on" | "off", Readonly<Record<GroupScore["group"], number>>>> = {
  on: { Classification: 64.4, VQA: 67.8, Retrieval: 70.2, "Visual Grounding": 90.1, IND: 75.3, OOD: 63.7, Overall: 70.1 },
  off: { Classification: 59.5, VQA: 59.9, Retrieval: 66.8, "Visual Grounding": 88.0, IND: 70.6, OOD: 58.4, Overall: 65.2 },
};
