#!/usr/bin/env node
/** The `rge-eval` command line: MMEB evaluation of an RGE bundle. See `USAGE`. */
import { AbortedError, InvalidOptionError, RgeError } from "@rge/core";
import { formatReport } from "../report/format-report.js";
import { evaluateMmeb } from "../run/evaluate-mmeb.js";
import { parseEvalArgs } from "./parse-args.js";
import { progressBar } from "./progress-bar.js";
import { USAGE, UsageError } from "./usage.js";

/** Runs `rge-eval` with the given arguments; resolves to the exit code (1 when a subset failed, 130 when interrupted). */
export async function runEvalCli(argv: string[]): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(USAGE);
    return 0;
  }
  const controller = new AbortController();
  const onSigint = () => controller.abort(new Error("interrupted"));
  process.once("SIGINT", onSigint);
  const bar = progressBar();
  let parsed = false;
  try {
    const options = parseEvalArgs(argv);
    parsed = true;
    const reports = await evaluateMmeb({
      ...options,
      signal: controller.signal,
      onProgress: bar.update,
      onLog: (m) => {
        bar.stop();
        console.error(m);
      },
    });
    bar.stop();
    for (const report of reports) console.log(`${formatReport(report)}Written to ${report.dir}\n`);
    return reports.some((r) => r.failed.length > 0) ? 1 : 0;
  } catch (error) {
    bar.stop();
    if (error instanceof UsageError) {
      console.error(error.message);
      return 2;
    }
    // A wrong flag value is a usage mistake too; an InvalidOptionError later in the run (from the data) is not.
    if (error instanceof InvalidOptionError && !parsed) {
      console.error(`rge-eval: ${error.message} [${error.code}]\nRun rge-eval --help for the flags.`);
      return 2;
    }
    if (error instanceof TypeError && (error as NodeJS.ErrnoException).code?.startsWith("ERR_PARSE_ARGS")) {
      console.error(`${error.message}\n\n${USAGE}`);
      return 2;
    }
    if (error instanceof AbortedError) {
      console.error("rge-eval: interrupted. Finished work is cached; run the same command again to resume.");
      return 130;
    }
    if (error instanceof RgeError) {
      console.error(`rge-eval: ${error.message} [${error.code}]`);
      return 1;
    }
    throw error;
  } finally {
    process.off("SIGINT", onSigint);
  }
}

void runEvalCli(process.argv.slice(2)).then((code) => (process.exitCode = code));
