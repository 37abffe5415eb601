import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeTinyBundle } from "./tiny-model.js";

/** The bundle a runnable example uses, and whether it is the tiny stand-in. */
export interface ExampleBundle {
  dir: string;
  tiny: boolean;
  /** Removes the tiny bundle's scratch directory (nothing for a given bundle). */
  dispose(): void;
}

/**
 * The bundle given on the command line (or `$RGE_MODEL`), else a tiny random-weight bundle in a scratch
 * directory, announced on stdout, so every example runs out of the box.
 *
 * @example
 * const bundle = exampleBundle(process.argv[2]);
 * try { await run(bundle.dir); } finally { bundle.dispose(); }
 */
export function exampleBundle(given: string | undefined = process.env.RGE_MODEL): ExampleBundle {
  if (given) return { dir: given, tiny: false, dispose: () => {} };
  const scratch = mkdtempSync(join(tmpdir(), "rge-example-"));
  const { dir } = writeTinyBundle(scratch, { seed: 1 });
  console.log("No bundle given: using a tiny random-weight RGE model (rationales are gibberish, rankings arbitrary).");
  return { dir, tiny: true, dispose: () => rmSync(scratch, { recursive: true, force: true }) };
}
