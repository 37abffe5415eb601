/**
 * The LlamaIndex example: `npm run example:llamaindex` (tiny random model, built on the fly) or
 * `npm run example:llamaindex -- <bundle-dir>` (a real bundle). Options: `--device`, `--dtype`, `--max-new-tokens`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { RgeDevice, RgeDtype } from "@rge/core";
import { writeTinyBundle } from "@rge/core/testing";
import { formatExample, runLlamaIndexExample } from "./llamaindex-example.js";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { device: { type: "string" }, dtype: { type: "string" }, "max-new-tokens": { type: "string" } },
});
let dir = positionals[0] ?? process.env.RGE_MODEL;
let scratch: string | undefined;
if (!dir) {
  scratch = mkdtempSync(join(tmpdir(), "rge-llamaindex-"));
  dir = writeTinyBundle(scratch, { seed: 1 }).dir;
  console.log("No bundle given: using a tiny random-weight RGE model (rationales are gibberish, rankings arbitrary).");
}
try {
  const t0 = performance.now();
  const results = await runLlamaIndexExample(dir, {
    ...(values.device ? { device: values.device as RgeDevice } : {}),
    ...(values.dtype ? { dtype: values.dtype as RgeDtype } : {}),
    ...(values["max-new-tokens"] ? { maxNewTokens: Number(values["max-new-tokens"]) } : scratch ? { maxNewTokens: 32 } : {}),
  });
  console.log(formatExample(results));
  console.log(`\nDone in ${((performance.now() - t0) / 1000).toFixed(2)} s.`);
} finally {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
}
