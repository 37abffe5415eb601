import { parseArgs } from "node:util";
import { DTYPES, type RgeDtype } from "../bundle/dtype.js";
import { AbortedError } from "../errors.js";
import { pullModel } from "../hub/pull.js";
import { PullReporter } from "./pull-progress.js";
import { UsageError } from "./usage-error.js";

export const PULL_USAGE = `rge pull <org/name> [--dtype fp32] [--dtype ...] [--revision main] [--check]
              [--endpoint URL] [--cache-dir DIR] [--hub-cache-dir DIR]

Downloads a model from the Hugging Face hub and makes it ready to load: a checkpoint repo (e.g. MCG-NJU/RGE) is
converted to each dtype, a bundle repo fetched. Files go to the Hugging Face cache (HF_HUB_CACHE), bundles to the RGE
cache (RGE_CACHE_DIR); what is there is not fetched again, and an interrupted download resumes. --check asks the hub
whether the revision moved. Private and gated repos need HF_TOKEN. dtypes: ${DTYPES.join(", ")}.`;

/** Options every hub-facing command takes. */
export const HUB_OPTIONS = {
  revision: { type: "string" },
  endpoint: { type: "string" },
  "cache-dir": { type: "string" },
  "hub-cache-dir": { type: "string" },
} as const;

export function hubLocation(values: { revision?: string | undefined; endpoint?: string | undefined; "cache-dir"?: string | undefined; "hub-cache-dir"?: string | undefined }) {
  return {
    ...(values.revision ? { revision: values.revision } : {}),
    ...(values.endpoint ? { endpoint: values.endpoint } : {}),
    ...(values["cache-dir"] ? { cacheDir: values["cache-dir"] } : {}),
    ...(values["hub-cache-dir"] ? { hubCacheDir: values["hub-cache-dir"] } : {}),
  };
}

/** An AbortSignal that fires on Ctrl-C, so that a pull stops cleanly and keeps its partial files. */
export function interruptSignal(): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const onInt = () => controller.abort(new AbortedError("Interrupted."));
  process.once("SIGINT", onInt);
  return { signal: controller.signal, dispose: () => process.off("SIGINT", onInt) };
}

export async function pullCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { dtype: { type: "string", multiple: true }, check: { type: "boolean" }, ...HUB_OPTIONS },
  });
  const [repo, extra] = positionals;
  if (!repo || extra) throw new UsageError(PULL_USAGE);
  const dtypes = (values.dtype ?? ["fp32"]) as RgeDtype[];
  const interrupt = interruptSignal();
  const reporter = new PullReporter();
  try {
    for (const dtype of dtypes) {
      const started = performance.now();
      const pulled = await pullModel(repo, {
        dtype,
        ...hubLocation(values),
        ...(values.check ? { checkForUpdates: true } : {}),
        signal: interrupt.signal,
        onProgress: reporter.onProgress,
      });
      reporter.stop();
      const how = pulled.offline ? "already in the cache" : `${pulled.kind === "checkpoint" ? "downloaded and converted" : "downloaded"} in ${((performance.now() - started) / 1000).toFixed(1)} s`;
      console.log(`${pulled.repo} @ ${pulled.commit.slice(0, 12)} (${dtype}): ${how}\n  ${pulled.dir}`);
    }
  } catch (error) {
    reporter.stop();
    if (error instanceof AbortedError) throw new AbortedError("Interrupted; run the same command again to resume the download.", { cause: error });
    throw error;
  } finally {
    interrupt.dispose();
  }
}
