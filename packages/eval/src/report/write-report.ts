import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { SubsetScore } from "../score/aggregate.js";
import type { QueryRationale } from "../run/evaluate-subset.js";
import { formatReportMarkdown } from "./format-report.js";
import type { MmebReport } from "./mmeb-report.js";

/** Writes a file through a temporary name, so readers never see half of it. */
export function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

/** `<subset>_score.json` in the reference's shape (`acc`, `num_correct`, `num_pred`), so its collect_acc.py reads ours. */
export function writeSubsetScore(dir: string, score: SubsetScore): void {
  mkdirSync(dir, { recursive: true });
  const body = { acc: score.accuracy, num_correct: score.correct, num_pred: score.total, skipped_rows: score.skippedRows };
  writeAtomic(join(dir, `${score.subset}_score.json`), JSON.stringify(body, null, 4) + "\n");
}

/** `<subset>_generated.jsonl`: one line per unique query with the rationale the model wrote. */
export function writeRationales(dir: string, subset: string, rationales: readonly QueryRationale[]): void {
  mkdirSync(dir, { recursive: true });
  writeAtomic(join(dir, `${subset}_generated.jsonl`), rationales.map((r) => JSON.stringify(r) + "\n").join(""));
}

/** `report.json` and `report.md` of one reasoning mode. */
export function writeReport(report: MmebReport): void {
  mkdirSync(report.dir, { recursive: true });
  writeAtomic(join(report.dir, "report.json"), JSON.stringify(report, null, 2) + "\n");
  writeAtomic(join(report.dir, "report.md"), formatReportMarkdown(report));
}
