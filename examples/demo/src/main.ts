/**
 * The RGE demo: `npm run demo` (tiny random model, built on the fly) or `npm run demo -- <bundle-dir>`
 * (a real bundle made by `rge convert`). Options: `--device cpu|cuda|webgpu|auto`, `--dtype fp32|fp16|q8|q4`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { RgeDevice, RgeDtype } from "@rge/core";
import { writeTinyBundle } from "@rge/core/testing";
import { formatDemo, runDemo } from "./demo.js";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { device: { type: "string" }, dtype: { type: "string" }, "max-new-tokens": { type: "string" } },
});
const given = positionals[0] ?? process.env.RGE_MODEL;
let dir = given;
let scratch: string | undefined;
if (!dir) {
  scratch = mkdtempSync(join(tmpdir(), "rge-demo-"));
  dir = writeTinyBundle(scratch, { seed: 1 }).dir;
  console.log("No bundle given: using a tiny random-weight RGE model (rationales are gibberish, rankings arbitrary).");
  console.log("Run `npm run demo -- <bundle-dir>` with a bundle made by `rge convert` for real results.");
}
try {
  const t0 = performance.now();
  const results = await runDemo(dir, {
    ...(values.device ? { device: values.device as RgeDevice } : {}),
    ...(values.dtype ? { dtype: values.dtype as RgeDtype } : {}),
    ...(values["max-new-tokens"] ? { maxNewTokens: Number(values["max-new-tokens"]) } : {}),
  });
  console.log(formatDemo(results));
  console.log(`\nDone in ${((performance.now() - t0) / 1000).toFixed(2)} s.`);
} finally {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
}
