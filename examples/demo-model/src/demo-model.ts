import { createHash, randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { convertCheckpoint } from "@rge/core";

/** Which committed checkpoint: the RGE demo model, or the baseline of the same size trained to embed directly. */
export type DemoModelName = "rge" | "direct-baseline";

/** Where tools/demo-model/train_demo_model.py writes the checkpoints, held-out data and metrics. */
export const DEMO_MODEL_DIR = join(import.meta.dirname, "..", "model");

const CHECKPOINTS: Record<DemoModelName, string> = { rge: "checkpoint", "direct-baseline": "direct-baseline" };

export interface DemoModelOptions {
  /** Which checkpoint. Default `"rge"`. */
  name?: DemoModelName;
  /** Where converted bundles are kept. Default `$RGE_DEMO_MODEL_CACHE`, else `<os tmpdir>/rge-demo-model`. */
  cacheDir?: string;
}

/** The committed Hugging Face checkpoint directory of a demo model. */
export function demoCheckpointDir(name: DemoModelName = "rge"): string {
  return join(DEMO_MODEL_DIR, CHECKPOINTS[name]);
}

/**
 * The demo model as a runnable bundle: the committed checkpoint converted by `convertCheckpoint` on first use
 * (a few hundred milliseconds) into a cache directory keyed by the checkpoint's content, so a retrained model
 * never meets a stale bundle. Concurrent first uses each convert into a scratch directory and the first rename wins.
 *
 * @example
 * const model = await loadRgeModel(await demoModel());
 * const [q] = await model.embedQueries([{ text: "who is the friend of the teacher of maya ?" }]);
 * console.log(q.rationale); // "the teacher of maya is … . the friend of … is … ."
 */
export async function demoModel(options: DemoModelOptions = {}): Promise<string> {
  const checkpoint = demoCheckpointDir(options.name ?? "rge");
  const cacheDir = options.cacheDir ?? process.env.RGE_DEMO_MODEL_CACHE ?? join(tmpdir(), "rge-demo-model");
  const dir = join(cacheDir, `${options.name ?? "rge"}-${contentHash(checkpoint).slice(0, 16)}`);
  if (existsSync(join(dir, "rge.json"))) return dir;
  const scratch = `${dir}.partial-${process.pid}-${randomBytes(4).toString("hex")}`;
  try {
    await convertCheckpoint(checkpoint, scratch, { dtypes: ["fp32"] });
    renameSync(scratch, dir);
  } catch (error) {
    if (!existsSync(join(dir, "rge.json"))) throw error; // else another process finished first: use its bundle
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return dir;
}

/** sha256 over the names and bytes of a checkpoint's files. */
function contentHash(dir: string): string {
  const hash = createHash("sha256");
  for (const file of readdirSync(dir).sort()) hash.update(file).update("\0").update(readFileSync(join(dir, file)));
  return hash.digest("hex");
}
