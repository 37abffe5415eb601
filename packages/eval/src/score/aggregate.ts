import { findSubset, META_TASKS, type Distribution, type MetaTask } from "../benchmark/subsets.js";

/** Precision@1 of one subset. */
export interface SubsetScore {
  subset: string;
  /** Hits over scored rows, 0 to 1. */
  accuracy: number;
  correct: number;
  /** Rows scored. */
  total: number;
  /** Rows left out because their data was bad (only with `skipBadRows`). */
  skippedRows: number;
}

/** A group's score: the unweighted mean of its subsets' accuracies, in percent. */
export interface GroupScore {
  group: MetaTask | Distribution | "Overall";
  /** Mean accuracy × 100; null when none of its subsets finished. */
  score: number | null;
  /** Subsets that finished and count here. */
  finished: number;
  /** Subsets of this group that the run asked for. */
  requested: number;
}

/** The order the reference prints: meta-tasks, then IND, OOD and overall. */
export const GROUP_ORDER: readonly GroupScore["group"][] = [...META_TASKS, "IND", "OOD", "Overall"];

/**
 * Groups subset scores as the reference's `eval_ar.py` does: each meta-task, IND and OOD is the plain mean of its
 * subsets; Overall is the mean over every subset that is IND or OOD. Subsets outside MMEB count in no group.
 */
export function aggregate(scores: readonly SubsetScore[], requested: readonly string[]): GroupScore[] {
  const member = (group: GroupScore["group"], name: string) => {
    const s = findSubset(name);
    if (!s) return false;
    return group === "Overall" || s.metaTask === group || s.distribution === group;
  };
  return GROUP_ORDER.map((group) => {
    const done = scores.filter((s) => member(group, s.subset));
    const mean = done.length > 0 ? (done.reduce((sum, s) => sum + s.accuracy, 0) / done.length) * 100 : null;
    return { group, score: mean, finished: done.length, requested: requested.filter((n) => member(group, n)).length };
  });
}
