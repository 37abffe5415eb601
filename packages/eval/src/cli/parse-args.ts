import { parseArgs } from "node:util";
import type { LoadRgeModelOptions, RgeDevice, RgeDtype } from "@rge/core";
import type { EvaluateMmebOptions } from "../run/evaluate-mmeb.js";
import { USAGE, UsageError } from "./usage.js";

/** The options of a `rge-eval` command line, less the callbacks the CLI adds. */
export type CliOptions = Omit<EvaluateMmebOptions, "onProgress" | "onLog" | "signal"> & { model: string };

/** Parses `rge-eval` arguments; throws {@link UsageError} with the usage on a mistake. */
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
    },
  });
  const { data, images, model } = values;
  if (!data || !images || !model) throw new UsageError(`--data, --images and --model are required.\n\n${USAGE}`);
  const reasoning = values.reasoning ?? "on";
  if (reasoning !== "on" && reasoning !== "off" && reasoning !== "both") {
    throw new UsageError(`--reasoning must be on, off or both, got "${reasoning}".`);
  }
  const int = (name: string, v: string | undefined) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name} must be a positive integer, got "${v}".`);
    return n;
  };
  const maxNewTokens = int("max-new-tokens", values["max-new-tokens"]);
  const batchSize = int("batch-size", values["batch-size"]);
  const threads = int("threads", values.threads);
  const chunkSize = int("chunk-size", values["chunk-size"]);
  const modelOptions: LoadRgeModelOptions = {
    ...(values.device ? { device: values.device as RgeDevice } : {}),
    ...(values.dtype ? { dtype: values.dtype as RgeDtype } : {}),
    ...(maxNewTokens ? { maxNewTokens } : {}),
    ...(batchSize ? { batchSize } : {}),
    ...(threads ? { threads } : {}),
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
