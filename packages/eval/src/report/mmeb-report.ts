import type { GroupScore, SubsetScore } from "../score/aggregate.js";
import type { ReasoningMode } from "../run/evaluate-subset.js";

/** A subset that could not be scored, and why. */
export interface SubsetFailure {
  subset: string;
  reason: string;
  problems: string[];
}

/** The result of one reasoning mode over the requested subsets. */
export interface MmebReport {
  reasoning: ReasoningMode;
  /** Per-subset Precision@1, in the order requested. */
  subsets: SubsetScore[];
  /** Meta-tasks, IND, OOD and Overall, in the reference's grouping. */
  groups: GroupScore[];
  failed: SubsetFailure[];
  /** Where this report's files were written. */
  dir: string;
}
