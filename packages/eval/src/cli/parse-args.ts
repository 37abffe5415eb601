import { parseArgs } from "node:util";
import { checkOptions, DTYPES, optionRules as rules, type LoadRgeModelOptions, type RgeDevice, type RgeDtype } from "@rge/core";
import type { EvaluateMmebOptions } from "../run/evaluate-mmeb.js";
import { USAGE, UsageError } from "./usage.js";

/** The options of a `rge-eval` command line, less the callbacks the CLI adds. */
export type CliOptions = Omit<EvaluateMmebOptions, "onProgress" | "onLog" | "signal"> & { model: string };

/** The rules of the flags that take a value of a kind (the rest are paths and names). */
const FLAG_RULES = {
  "--reasoning": rules.oneOf("on", "off", "both"),
  "--device": rules.oneOf("cpu", "cuda", "webgpu", "auto"),
  "--dtype": rules.oneOf(...DTYPES),
  "--max-new-tokens": rules.positiveInteger,
  "--batch-size": rules.positiveInteger,
  "--threads": rules.positiveInteger,
  "--chunk-size": rules.positiveInteger,
  "--min-pixels": rules.positiveInteger,
  "--max-pixels": rules.positiveInteger,
};

/** A flag's value as a number when written as a decimal integer; otherwise its text, for the rule to refuse. */
const count = (v: string | undefined) => (v !== undefined && /^\d+$/.test(v) ? Number(v) : v);

/**
 * Parses `rge-eval` arguments; throws {@link UsageError} with the usage on a missing flag, and `InvalidOptionError`
 * naming the flag for a wrong value (`--batch-size abc`, `--reasoning yes`).
 */
export function parseEvalArgs(argv: string[]): CliOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      data: { type: "string" },
      images: { type: "string" },
      model: { type: "string" },
      subsets: { type: "string", multiple: true },
      reasoning: { type: "string" },
      out: { type: "string" },
      "cache-dir": { type: "string" },
      "skip-bad-rows": { type: "boolean" },
      device: { type: "string" },
      dtype: { type: "string" },
      "max-new-tokens": { type: "string" },
      "batch-size": { type: "string" },
      threads: { type: "string" },
      "chunk-size": { type: "string" },
      "min-pixels": { type: "string" },
      "max-pixels": { type: "string" },
    },
  });
  const { data, images, model } = values;
  if (!data || !images || !model) throw new UsageError(`--data, --images and --model are required.\n\n${USAGE}`);
  const flags = {
    "--reasoning": values.reasoning,
    "--device": values.device,
    "--dtype": values.dtype,
    "--max-new-tokens": count(values["max-new-tokens"]),
    "--batch-size": count(values["batch-size"]),
    "--threads": count(values.threads),
    "--chunk-size": count(values["chunk-size"]),
    "--min-pixels": count(values["min-pixels"]),
    "--max-pixels": count(values["max-pixels"]),
  };
  checkOptions(flags, "rge-eval's flags", FLAG_RULES);
  const reasoning = (values.reasoning ?? "on") as "on" | "off" | "both";
  const [maxNewTokens, batchSize, threads, chunkSize, minPixels, maxPixels] = [
    flags["--max-new-tokens"],
    flags["--batch-size"],
    flags["--threads"],
    flags["--chunk-size"],
    flags["--min-pixels"],
    flags["--max-pixels"],
  ] as (number | undefined)[];
  const modelOptions: LoadRgeModelOptions = {
    ...(values.device ? { device: values.device as RgeDevice } : {}),
    ...(values.dtype ? { dtype: values.dtype as RgeDtype } : {}),
    ...(maxNewTokens ? { maxNewTokens } : {}),
    ...(batchSize ? { batchSize } : {}),
    ...(threads ? { threads } : {}),
    // They replace the reference's MMEB pixel bounds (MMEB_MODEL_OPTIONS), e.g. for a model trained on small images.
    ...(minPixels ? { minPixels } : {}),
    ...(maxPixels ? { maxPixels } : {}),
  };
  const subsets = values.subsets?.flatMap((s) => s.split(",")).map((s) => s.trim()).filter(Boolean);
  return {
    data,
    images,
    model,
    reasoning,
    modelOptions,
    ...(subsets ? { subsets } : {}),
    ...(values.out ? { out: values.out } : {}),
    ...(values["cache-dir"] ? { cacheDir: values["cache-dir"] } : {}),
    ...(values["skip-bad-rows"] ? { skipBadRows: true } : {}),
    ...(chunkSize ? { chunkSize } : {}),
  };
}
