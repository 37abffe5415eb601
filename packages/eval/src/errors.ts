import { RgeError } from "@rge/core";

/**
 * The evaluation data is missing or malformed: a subset folder or parquet file that is not there, a row without
 * candidates, a missing image. The message names the subset, the row and what to fix.
 */
export class MmebDataError extends RgeError {
  /** Each problem found, one line each (the message shows the first few). */
  readonly problems: string[];

  constructor(message: string, problems: string[] = []) {
    super("RGE_EVAL_DATA_INVALID", message);
    this.problems = problems;
  }
}

/** Joins problems into a message, listing at most `limit` of them. */
export function problemList(problems: readonly string[], limit = 5): string {
  const shown = problems.slice(0, limit).map((p) => `  - ${p}`);
  if (problems.length > limit) shown.push(`  - … and ${problems.length - limit} more`);
  return shown.join("\n");
}
