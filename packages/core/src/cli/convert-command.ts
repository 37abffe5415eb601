import { parseArgs } from "node:util";
import { SingleBar, Presets } from "cli-progress";
import { DTYPES, type RgeDtype } from "../bundle/dtype.js";
import { convertCheckpoint } from "../convert/convert-checkpoint.js";
import { isHubId } from "../bundle/load-bundle.js";
import { pullCheckpoint } from "../hub/pull.js";
import { HUB_OPTIONS, hubLocation, interruptSignal } from "./pull-command.js";
import { PullReporter } from "./pull-progress.js";
import { UsageError } from "./usage-error.js";

export const CONVERT_USAGE = `rge convert <checkpoint-dir | org/name> <out-dir> [--dtype fp32] [--dtype ...] [--max-new-tokens 128]
                 [--external-data auto|always|never] [--kv-outputs new|present] [--overwrite]
                 [--revision main] [--endpoint URL] [--hub-cache-dir DIR]

Converts a Hugging Face Qwen2.5-VL RGE checkpoint into an RGE bundle: a local directory, or a hub repo such as
MCG-NJU/RGE, downloaded first into the Hugging Face cache (resumable; HF_TOKEN for private repos). To convert into the
RGE cache for loadRgeModel("org/name"), use \`rge pull\` instead.
dtypes: ${DTYPES.join(", ")}. --kv-outputs present writes the transformers.js decoder contract (present.* = past +
new every step); the default, new, outputs only each step's keys and values so the engine keeps its cache in place.`;

export async function convertCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      dtype: { type: "string", multiple: true },
      "max-new-tokens": { type: "string" },
      "external-data": { type: "string" },
      "kv-outputs": { type: "string" },
      overwrite: { type: "boolean" },
      ...HUB_OPTIONS,
    },
  });
  let [from, to] = positionals;
  if (!from || !to) throw new UsageError(CONVERT_USAGE);
  const started = performance.now();
  if (isHubId(from)) {
    const interrupt = interruptSignal();
    const reporter = new PullReporter();
    try {
      from = (await pullCheckpoint(from, { ...hubLocation(values), signal: interrupt.signal, onProgress: reporter.onProgress })).dir;
    } finally {
      reporter.stop();
      interrupt.dispose();
    }
  }
  const bar = new SingleBar(
    { format: "converting {graph} ({dtype}) [{bar}] {percentage}% | {done}/{total} MB | ETA {eta_formatted}", hideCursor: true },
    Presets.shades_classic,
  );
  let startedBar = false;
  const mb = (b: number) => (b / 1e6).toFixed(0);
  const result = await convertCheckpoint(from, to, {
    ...(values.dtype ? { dtypes: values.dtype as RgeDtype[] } : {}),
    ...(values["max-new-tokens"] ? { maxNewTokens: Number(values["max-new-tokens"]) } : {}),
    ...(values["external-data"] ? { externalData: values["external-data"] as "auto" | "always" | "never" } : {}),
    ...(values["kv-outputs"] ? { kvOutputs: values["kv-outputs"] as "new" | "present" } : {}),
    ...(values.overwrite ? { overwrite: true } : {}),
    onProgress: (p) => {
      const payload = { graph: p.graph, dtype: p.dtype, done: mb(p.bytesDone), total: mb(p.bytesTotal) };
      if (!startedBar) {
        bar.start(p.bytesTotal, 0, payload);
        startedBar = true;
      }
      bar.update(p.bytesDone, payload);
    },
  });
  if (startedBar) bar.stop();
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`Wrote ${result.dir} in ${seconds} s:`);
  for (const f of result.files) console.log(`  ${f.path.padEnd(44)} ${(f.bytes / 1e6).toFixed(1).padStart(10)} MB`);
}
