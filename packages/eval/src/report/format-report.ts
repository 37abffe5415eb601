import { PAPER_RESULTS } from "../benchmark/paper-results.js";
import type { MmebReport } from "./mmeb-report.js";

const pct = (x: number | null) => (x === null ? "–" : x.toFixed(1));

/** A plain-text table of one report: subsets, then groups beside the paper's figures. */
export function formatReport(report: MmebReport): string {
  const lines = [`MMEB Precision@1, reasoning ${report.reasoning}`, ""];
  const width = Math.max(18, ...report.subsets.map((s) => s.subset.length));
  for (const s of report.subsets) {
    const skipped = s.skippedRows > 0 ? `  (${s.skippedRows} rows skipped)` : "";
    lines.push(`  ${s.subset.padEnd(width)} ${pct(s.accuracy * 100).padStart(5)}  ${s.correct}/${s.total}${skipped}`);
  }
  for (const f of report.failed) lines.push(`  ${f.subset.padEnd(width)}     –  failed: ${f.reason.split("\n")[0]}`);
  lines.push("", `  ${"group".padEnd(width)}  ours  paper  subsets`);
  const paper = PAPER_RESULTS[report.reasoning];
  for (const g of report.groups) {
    const note = g.finished < g.requested ? ` (${g.requested - g.finished} missing)` : "";
    lines.push(`  ${g.group.padEnd(width)} ${pct(g.score).padStart(5)}  ${pct(paper[g.group]).padStart(5)}  ${g.finished}/${g.requested}${note}`);
  }
  return lines.join("\n") + "\n";
}

/** The same as a Markdown table. */
export function formatReportMarkdown(report: MmebReport): string {
  const paper = PAPER_RESULTS[report.reasoning];
  const lines = [
    `# MMEB Precision@1, reasoning ${report.reasoning}`,
    "",
    "| group | ours | paper | subsets |",
    "| --- | --- | --- | --- |",
    ...report.groups.map((g) => `| ${g.group} | ${pct(g.score)} | ${pct(paper[g.group])} | ${g.finished}/${g.requested} |`),
    "",
    "| subset | accuracy | correct / scored | skipped rows |",
    "| --- | --- | --- | --- |",
    ...report.subsets.map((s) => `| ${s.subset} | ${pct(s.accuracy * 100)} | ${s.correct}/${s.total} | ${s.skippedRows} |`),
    ...report.failed.map((f) => `| ${f.subset} | failed | ${f.reason.split("\n")[0]} | |`),
  ];
  return lines.join("\n") + "\n";
}
